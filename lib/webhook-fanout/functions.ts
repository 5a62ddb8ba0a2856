import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnResource, Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ResolvedConfig } from './config';
import { acknowledgeRuntimePin, acknowledgeVpcNetworkInterfaceWildcard } from './nag';
import { createLogGroup } from './storage';

/**
 * How every function is bundled (npm run bench builds the same assets from these to measure them).
 */
export const FUNCTION_BUNDLING = {
  minify: true,
  sourceMap: false,
  target: 'node22',
  format: OutputFormat.CJS,
  // The ES module builds of the dependencies, which esbuild can tree-shake: about a third smaller
  // than their CommonJS builds, so less to load at every cold start.
  mainFields: ['module', 'main'],
  // Bundle the SDK clients rather than load the runtime's full copy: smaller, faster cold starts,
  // and the version is pinned by the lock file. JSONata alone stays out of the bundle: the
  // functions that evaluate transformations ship it beside it (LAZY_MODULE_HOOKS).
  externalModules: ['jsonata'],
} as const satisfies BundlingOptions;

/** The functions that load JSONata, on the first transformation they check or evaluate. */
const TRANSFORMING_FUNCTIONS: ReadonlySet<FunctionName> = new Set(['api', 'delivery']);

/** The files of the jsonata package a function needs: its self-contained build and what names it. */
const JSONATA_FILES = ['package.json', 'LICENSE', 'jsonata.js'] as const;

/**
 * Copies the jsonata package into the asset's node_modules, where `require('jsonata')` finds it at
 * run time: a function parses it on its first transformation only, never at a cold start. Paths are
 * taken from the bundling's input directory (the project root), so it works in the bundling image too.
 */
export const LAZY_MODULE_HOOKS: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir: string, outputDir: string) => {
    const target = path.posix.join(outputDir, 'node_modules', 'jsonata');
    const sources = JSONATA_FILES.map((file) => `"${path.posix.join(inputDir, 'node_modules', 'jsonata', file)}"`);
    return [`mkdir -p "${target}"`, `cp ${sources.join(' ')} "${target}/"`];
  },
};

const bundlingOf = (name: FunctionName): BundlingOptions =>
  TRANSFORMING_FUNCTIONS.has(name) ? { ...FUNCTION_BUNDLING, commandHooks: LAZY_MODULE_HOOKS } : FUNCTION_BUNDLING;

/** Template metadata key holding each function's handler source, relative to the project root. */
export const HANDLER_SOURCE_METADATA = 'webhook-fanout:handler-source';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const MAX_LAMBDA_TIMEOUT_SECONDS = 900;
/** Headroom for the handler to record the outcome and reschedule after an attempt times out. */
export const DELIVERY_FUNCTION_MARGIN_SECONDS = 15;

export interface Functions {
  readonly ingestFunction: NodejsFunction;
  readonly apiFunction: NodejsFunction;
  readonly fanoutFunction: NodejsFunction;
  readonly deliveryFunction: NodejsFunction;
}

export interface FunctionTimeouts {
  readonly ingest: Duration;
  readonly api: Duration;
  readonly fanout: Duration;
  /** The delivery timeout, plus the margin to record the outcome. */
  readonly delivery: Duration;
}

export function functionTimeouts(deliveryTimeoutSeconds: number): FunctionTimeouts {
  return {
    ingest: Duration.seconds(10),
    api: Duration.seconds(15),
    fanout: Duration.minutes(5),
    delivery: Duration.seconds(deliveryTimeoutSeconds + DELIVERY_FUNCTION_MARGIN_SECONDS),
  };
}

/**
 * The four functions, each with its own log group and role (and the delivery function in the VPC,
 * if there is one). Their grants and the environment naming tables and queues come from wiring.ts.
 */
export function createFunctions(scope: Construct, config: ResolvedConfig, timeouts: FunctionTimeouts): Functions {
  const shared = {
    memorySize: config.memorySize,
    environment: config.environment,
    applicationLogLevelV2: lambda.ApplicationLogLevel[config.logLevel],
    systemLogLevelV2: lambda.SystemLogLevel[config.systemLogLevel],
  };
  const create = (id: string, name: FunctionName, options: FunctionOptions) => createFunction(scope, id, name, config, options);
  return {
    ingestFunction: create('IngestFunction', 'ingest', {
      ...shared,
      description: 'Accepts POST /v1/events: authenticates, stores the event and hands it to fan-out',
      timeout: timeouts.ingest,
    }),
    apiFunction: create('ApiFunction', 'api', {
      ...shared,
      description: 'Serves every API route except POST /v1/events',
      timeout: timeouts.api,
    }),
    fanoutFunction: create('FanoutFunction', 'fanout', {
      ...shared,
      description: 'Turns an event into one delivery message per matching subscription',
      timeout: timeouts.fanout,
    }),
    deliveryFunction: create('DeliveryFunction', 'delivery', {
      ...shared,
      description: 'Sends signed webhooks and records each attempt',
      timeout: timeouts.delivery,
      vpc: config.vpc,
      vpcSubnets: config.vpcSubnets,
    }),
  };
}

type FunctionName = 'ingest' | 'api' | 'fanout' | 'delivery';

type FunctionOptions = Pick<
  lambda.FunctionOptions,
  'description' | 'timeout' | 'memorySize' | 'environment' | 'vpc' | 'vpcSubnets' | 'applicationLogLevelV2' | 'systemLogLevelV2'
>;

function createFunction(
  scope: Construct,
  id: string,
  name: FunctionName,
  config: ResolvedConfig,
  options: FunctionOptions,
): NodejsFunction {
  const entry = path.join('lambdas', name, 'handler.ts');
  const logGroup = createLogGroup(scope, `${id}LogGroup`, config);
  const role = createFunctionRole(scope, `${id}Role`, logGroup, options.vpc !== undefined);
  const fn = new NodejsFunction(scope, id, {
    ...options,
    role,
    entry: path.join(PROJECT_ROOT, entry),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    loggingFormat: lambda.LoggingFormat.JSON,
    logGroup,
    bundling: bundlingOf(name),
  });
  const cfnFunction = fn.node.defaultChild as lambda.CfnFunction;
  dependOnRolePoliciesOnly(cfnFunction, role);
  // The local runtime runs the handler source named here, so the template stays its one source of truth.
  cfnFunction.addMetadata(HANDLER_SOURCE_METADATA, entry.split(path.sep).join('/'));
  acknowledgeRuntimePin(cfnFunction);
  return fn;
}

/**
 * The function's own role instead of the one Lambda would create: that one carries the managed
 * AWSLambdaBasicExecutionRole (logs:CreateLogGroup/CreateLogStream/PutLogEvents on every log group
 * of the account), where writing to the function's own log group is all it needs. The group exists
 * before the function (the stack creates it), so no CreateLogGroup either.
 */
function createFunctionRole(scope: Construct, id: string, logGroup: logs.LogGroup, inVpc: boolean): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    inlinePolicies: inVpc ? { VpcNetworkInterfaces: vpcNetworkInterfacePolicy() } : undefined,
  });
  logGroup.grantWrite(role);
  if (inVpc) acknowledgeVpcNetworkInterfaceWildcard(role);
  return role;
}

/**
 * What Lambda needs to attach a function to a VPC's subnets: AWSLambdaVPCAccessExecutionRole without its
 * account-wide logs actions (the function's role already writes to its own log group).
 */
function vpcNetworkInterfacePolicy(): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    ],
  });
}

/**
 * Lambda's L2 makes a function depend on its whole role, the role's policies and the role itself. The
 * function's `Role` (a GetAtt of the role's ARN) already orders it after the role, so that DependsOn
 * entry is redundant (cfn-lint W3005); every other dependency, the policies first, is kept. Resolved
 * at synthesis, after CDK has turned construct dependencies into resource ones.
 */
function dependOnRolePoliciesOnly(fn: lambda.CfnFunction, role: iam.Role): void {
  const roleResource = role.node.defaultChild;
  fn.addOverride(
    'DependsOn',
    Lazy.list(
      {
        produce: () =>
          fn
            .obtainDependencies()
            .filter((target): target is CfnResource => CfnResource.isCfnResource(target) && target !== roleResource)
            .filter((target) => Stack.of(target) === Stack.of(fn))
            .sort((a, b) => a.node.path.localeCompare(b.node.path))
            .map((target) => target.logicalId),
      },
      { omitEmpty: true },
    ),
  );
}
