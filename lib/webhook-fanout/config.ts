import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import ipaddr from 'ipaddr.js';
import { DEFAULTS, POWERTOOLS_ENV } from '../../lambdas/core/telemetry-names';
import {
  WebhookFanoutPropsError,
  type WebhookFanoutLogLevel,
  type WebhookFanoutProps,
  type WebhookFanoutSystemLogLevel,
} from './props';
import { requireRange, settingsEnvironment, settingsFromProps, wholeSeconds } from './settings';

/*
 * The props checked and completed with their defaults: what the builders read. Every value that
 * cannot be deployed, or would break the pipeline, is refused here with a WebhookFanoutPropsError.
 */

const DEFAULT_DELIVERY_LAG_ALARM_THRESHOLD = Duration.minutes(5);
const DEFAULT_API_SERVER_ERROR_RATE_PERCENT = 1;
const DEFAULT_API_SERVER_ERROR_MIN_REQUESTS = 100;
const SYSTEM_LOG_LEVELS: readonly WebhookFanoutSystemLogLevel[] = ['DEBUG', 'INFO', 'WARN'];
/** CloudWatch namespaces: these characters, and never AWS/ (reserved for AWS services). */
const NAMESPACE_PATTERN = /^[A-Za-z0-9 ._\-/#:]{1,255}$/;

/**
 * Ranges the SSRF guard must never open: on Lambda, loopback reaches the runtime API and link-local
 * reaches instance metadata. 0.0.0.0 and :: connect to the local host on Linux, and the IPv4-mapped
 * IPv6 forms reach the same IPv4 addresses.
 */
const FORBIDDEN_NETWORKS = [
  '127.0.0.0/8',
  '169.254.0.0/16',
  '0.0.0.0/8',
  '::1/128',
  'fe80::/10',
  '::/128',
  '::ffff:127.0.0.0/104',
  '::ffff:169.254.0.0/112',
  '::ffff:0.0.0.0/104',
];

export interface ResolvedConfig {
  /** Of the key, tables, queues and log groups. */
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  readonly deliveryTimeoutSeconds: number;
  readonly deliveryBatchSize: number;
  readonly deliveryMaxConcurrency: number;
  readonly fanoutMaxConcurrency: number;
  readonly memorySize: number;
  /** Where the delivery function runs: outside any VPC, or in these subnets. */
  readonly vpc: ec2.IVpc | undefined;
  readonly vpcSubnets: ec2.SubnetSelection | undefined;
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  readonly tenantRateLimitPerSecond: number | undefined;
  readonly inlineFanoutLimit: number;
  readonly metricsNamespace: string;
  readonly logLevel: WebhookFanoutLogLevel;
  readonly systemLogLevel: WebhookFanoutSystemLogLevel;
  readonly deliveryLagAlarmSeconds: number;
  readonly apiServerErrorRatePercent: number;
  readonly apiMinimumRequests: number;
  readonly functionErrorsThreshold: number;
  readonly functionThrottlesThreshold: number;
  /** The configuration every function receives. */
  readonly environment: Record<string, string>;
}

export function resolveConfig(props: WebhookFanoutProps): ResolvedConfig {
  if (props.vpcSubnets && !props.vpc) {
    throw new WebhookFanoutPropsError('vpcSubnets is set without the vpc prop it selects from');
  }
  allowedNetworks(props.allowedPrivateNetworks ?? [], props.vpc !== undefined);
  const deliveryBatchSize = props.deliveryBatchSize ?? 10;
  requireRange('deliveryBatchSize', deliveryBatchSize, 1, 10_000);
  const deliveryMaxConcurrency = props.deliveryMaxConcurrency ?? 50;
  requireRange('deliveryMaxConcurrency', deliveryMaxConcurrency, 2, 1000);
  const settings = { ...settingsFromProps(props), maxSlowAttempts: maxSlowAttempts(props, deliveryMaxConcurrency) };
  const fanoutMaxConcurrency = props.fanoutMaxConcurrency ?? 10;
  requireRange('fanoutMaxConcurrency', fanoutMaxConcurrency, 2, 1000);
  const memorySize = props.memorySize ?? 256;
  requireRange('memorySize', memorySize, 128, 10_240);

  const apiRateLimit = props.apiThrottle?.rateLimit ?? 1000;
  if (!Number.isFinite(apiRateLimit) || apiRateLimit <= 0) {
    throw new WebhookFanoutPropsError(`apiThrottle.rateLimit is ${apiRateLimit}; it must be a positive number`);
  }
  const apiBurstLimit = props.apiThrottle?.burstLimit ?? 2000;
  if (!Number.isSafeInteger(apiBurstLimit) || apiBurstLimit < 1) {
    throw new WebhookFanoutPropsError(`apiThrottle.burstLimit is ${apiBurstLimit}; it must be a positive integer`);
  }

  const observability = resolveObservability(props);

  return {
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    deliveryTimeoutSeconds: settings.timeoutMs / 1000,
    deliveryBatchSize,
    deliveryMaxConcurrency,
    fanoutMaxConcurrency,
    memorySize,
    vpc: props.vpc,
    vpcSubnets: props.vpc ? (props.vpcSubnets ?? { subnetType: SubnetType.PRIVATE_WITH_EGRESS }) : undefined,
    apiRateLimit,
    apiBurstLimit,
    tenantRateLimitPerSecond: props.tenantRateLimitPerSecond,
    inlineFanoutLimit: settings.inlineFanoutLimit,
    ...observability,
    environment: {
      ...settingsEnvironment(settings, props),
      [POWERTOOLS_ENV.serviceName]: DEFAULTS.serviceName,
      [POWERTOOLS_ENV.logLevel]: observability.logLevel,
      [POWERTOOLS_ENV.metricsNamespace]: observability.metricsNamespace,
    },
  };
}

/** At most all but one of the delivery invocations may wait on slow attempts; half unless given. */
function maxSlowAttempts(props: WebhookFanoutProps, deliveryMaxConcurrency: number): number {
  const value = props.maxSlowAttempts ?? Math.floor(deliveryMaxConcurrency / 2);
  requireRange('maxSlowAttempts', value, 0, deliveryMaxConcurrency - 1);
  return value;
}

function resolveObservability(props: WebhookFanoutProps) {
  const metricsNamespace = props.metricsNamespace ?? DEFAULTS.metricsNamespace;
  if (!NAMESPACE_PATTERN.test(metricsNamespace) || metricsNamespace.trim() === '' || metricsNamespace.startsWith('AWS/')) {
    throw new WebhookFanoutPropsError(
      `metricsNamespace is '${metricsNamespace}'; it must be 1 to 255 letters, digits, spaces or . _ - / # :, ` +
        'and not start with AWS/ (reserved for AWS services)',
    );
  }
  const logLevel = props.logLevel ?? 'INFO';
  if (logLevel !== 'DEBUG' && logLevel !== 'INFO') {
    throw new WebhookFanoutPropsError(
      `logLevel is '${String(logLevel)}'; it must be 'DEBUG' or 'INFO' (Lambda would drop the metric lines at WARN)`,
    );
  }
  const systemLogLevel = props.systemLogLevel ?? 'WARN';
  if (!SYSTEM_LOG_LEVELS.includes(systemLogLevel)) {
    throw new WebhookFanoutPropsError(`systemLogLevel is '${String(systemLogLevel)}'; it must be 'DEBUG', 'INFO' or 'WARN'`);
  }
  const deliveryLagAlarmSeconds = wholeSeconds(
    'deliveryLagAlarmThreshold',
    props.deliveryLagAlarmThreshold ?? DEFAULT_DELIVERY_LAG_ALARM_THRESHOLD,
  );
  requireRange('deliveryLagAlarmThreshold (seconds)', deliveryLagAlarmSeconds, 1, 14 * 86400);
  const apiServerErrorRatePercent = props.apiServerErrorRateAlarmThreshold ?? DEFAULT_API_SERVER_ERROR_RATE_PERCENT;
  if (!Number.isFinite(apiServerErrorRatePercent) || apiServerErrorRatePercent < 0 || apiServerErrorRatePercent >= 100) {
    throw new WebhookFanoutPropsError(
      `apiServerErrorRateAlarmThreshold is ${apiServerErrorRatePercent}; it must be a percentage from 0 to below 100`,
    );
  }
  const apiMinimumRequests = props.apiServerErrorAlarmMinimumRequests ?? DEFAULT_API_SERVER_ERROR_MIN_REQUESTS;
  requireRange('apiServerErrorAlarmMinimumRequests', apiMinimumRequests, 1, Number.MAX_SAFE_INTEGER);
  const functionErrorsThreshold = props.functionErrorsAlarmThreshold ?? 1;
  requireRange('functionErrorsAlarmThreshold', functionErrorsThreshold, 1, Number.MAX_SAFE_INTEGER);
  const functionThrottlesThreshold = props.functionThrottlesAlarmThreshold ?? 1;
  requireRange('functionThrottlesAlarmThreshold', functionThrottlesThreshold, 1, Number.MAX_SAFE_INTEGER);
  return {
    metricsNamespace,
    logLevel,
    systemLogLevel,
    deliveryLagAlarmSeconds,
    apiServerErrorRatePercent,
    apiMinimumRequests,
    functionErrorsThreshold,
    functionThrottlesThreshold,
  };
}

function allowedNetworks(cidrs: string[], hasVpc: boolean): string[] {
  const trimmed = cidrs.map((cidr) => cidr.trim());
  trimmed.forEach(checkAllowedNetwork);
  if (trimmed.length > 0 && !hasVpc) {
    throw new WebhookFanoutPropsError(
      `allowedPrivateNetworks (${trimmed.join(', ')}) needs the vpc prop: private networks are only reachable ` +
        'from a function in a VPC',
    );
  }
  return trimmed;
}

function checkAllowedNetwork(cidr: string): void {
  if (!ipaddr.IPv6.isValidCIDR(cidr) && !ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr)) {
    throw new WebhookFanoutPropsError(`allowedPrivateNetworks entry '${cidr}' is not a valid CIDR (e.g. 10.0.0.0/8)`);
  }
  const [address, prefix] = ipaddr.parseCIDR(cidr);
  for (const forbidden of FORBIDDEN_NETWORKS) {
    const [forbiddenAddress, forbiddenPrefix] = ipaddr.parseCIDR(forbidden);
    // Two CIDRs overlap when they agree on the bits of the shorter prefix.
    const overlaps =
      address.kind() === forbiddenAddress.kind() && address.match(forbiddenAddress, Math.min(prefix, forbiddenPrefix));
    if (overlaps) {
      throw new WebhookFanoutPropsError(
        `allowedPrivateNetworks entry '${cidr}' overlaps ${forbidden}: loopback and link-local targets reach ` +
          'the Lambda runtime API and instance metadata',
      );
    }
  }
}
