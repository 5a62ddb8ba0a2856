import { describe, expect, it } from 'vitest';
import { POWERTOOLS_ENV } from '../../lambdas/core/telemetry-names';
import { synthTemplate } from '../../local/template/synth';

/*
 * The settings a deploy from the repository takes as CDK context (`-c key=value` or cdk.json), read
 * by lib/app.ts exactly as bin/app.ts does.
 */

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

function resources(context: Record<string, unknown> = {}): Record<string, Resource> {
  return synthTemplate({ context }).Resources as unknown as Record<string, Resource>;
}

function ofType(all: Record<string, Resource>, type: string): [string, Resource][] {
  return Object.entries(all).filter(([, r]) => r.Type === type);
}

/** Every CloudWatch namespace the functions emit to, the alarms watch and the dashboard charts, but AWS/*. */
function customNamespaces(all: Record<string, Resource>): Record<'functions' | 'alarms' | 'dashboard', string[]> {
  const unique = (values: string[]) => [...new Set(values)].sort();
  const functions = ofType(all, 'AWS::Lambda::Function').map(
    ([, fn]) => (fn.Properties.Environment as { Variables: Record<string, string> }).Variables[POWERTOOLS_ENV.metricsNamespace]!,
  );
  const alarms = ofType(all, 'AWS::CloudWatch::Alarm').flatMap(([, alarm]) => [
    alarm.Properties.Namespace,
    ...((alarm.Properties.Metrics as { MetricStat?: { Metric: { Namespace: string } } }[] | undefined) ?? []).map(
      (query) => query.MetricStat?.Metric.Namespace,
    ),
  ]);
  // The body is JSON text inside an Fn::Join: a metric is ["<namespace>","<name>",...], a search {"<namespace>",...}.
  const body = JSON.stringify(ofType(all, 'AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
  const dashboard = [...body.matchAll(/(?:\[|\{)\\+"([^"\\]+)\\+",\\+"?[A-Za-z]/g)].map((match) => match[1]!);
  const custom = (values: unknown[]) => unique(values.filter((v): v is string => typeof v === 'string' && !v.startsWith('AWS/')));
  return { functions: unique(functions), alarms: custom(alarms), dashboard: custom(dashboard) };
}

function alarmActions(all: Record<string, Resource>): { alarm: unknown; ok: unknown }[] {
  return ofType(all, 'AWS::CloudWatch::Alarm').map(([, alarm]) => ({
    alarm: alarm.Properties.AlarmActions,
    ok: alarm.Properties.OKActions,
  }));
}

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:webhook-alarms';

describe('App context: metricsNamespace', () => {
  const everywhere = (namespace: string) => ({ functions: [namespace], alarms: [namespace], dashboard: [namespace] });

  it('keeps WebhookFanout, the namespace deployed stacks already use, for the default stack', () => {
    expect(customNamespaces(resources())).toEqual(everywhere('WebhookFanout'));
  });

  it('gives a stack of another name a namespace of its own: two stacks never share metrics or alarms', () => {
    const staging = customNamespaces(resources({ stackName: 'WebhookFanout-staging' }));
    const production = customNamespaces(resources({ stackName: 'WebhookFanout-production' }));

    expect(staging).toEqual(everywhere('WebhookFanout-staging'));
    expect(production).toEqual(everywhere('WebhookFanout-production'));
  });

  it('takes the namespace from context when set', () => {
    expect(customNamespaces(resources({ stackName: 'Staging', metricsNamespace: 'Acme/Webhooks' }))).toEqual(
      everywhere('Acme/Webhooks'),
    );
  });

  it('refuses a namespace CloudWatch reserves', () => {
    expect(() => resources({ metricsNamespace: 'AWS/Lambda' })).toThrow(/metricsNamespace is 'AWS\/Lambda'/);
  });
});

describe('App context: alarmTopicArn and alarmEmail', () => {
  it('notifies no one by default', () => {
    const all = resources();

    expect(alarmActions(all)).toHaveLength(9);
    expect(alarmActions(all).every(({ alarm, ok }) => alarm === undefined && ok === undefined)).toBe(true);
    expect(Object.values(all).filter((r) => r.Type.startsWith('AWS::SNS::'))).toEqual([]);
  });

  it('has every alarm notify an existing topic, when it fires and when it is OK again', () => {
    const all = resources({ alarmTopicArn: TOPIC_ARN });

    expect(alarmActions(all)).toEqual(Array(9).fill({ alarm: [TOPIC_ARN], ok: [TOPIC_ARN] }));
    expect(Object.values(all).filter((r) => r.Type.startsWith('AWS::SNS::'))).toEqual([]);
  });

  it('subscribes e-mail addresses to a new topic, encrypted with the stack key that CloudWatch may use', () => {
    const all = resources({ alarmEmail: 'ops@example.com, oncall@example.com' });
    const [[topicId, topic]] = ofType(all, 'AWS::SNS::Topic') as [[string, Resource]];
    const [[keyId, key]] = ofType(all, 'AWS::KMS::Key') as [[string, Resource]];

    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(ofType(all, 'AWS::SNS::Subscription').map(([, s]) => s.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } },
      { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId } },
    ]);
    expect(alarmActions(all)).toEqual(Array(9).fill({ alarm: [{ Ref: topicId }], ok: [{ Ref: topicId }] }));
    expect((key.Properties.KeyPolicy as { Statement: unknown[] }).Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
    // Publishing without TLS is refused.
    expect(JSON.stringify(ofType(all, 'AWS::SNS::TopicPolicy'))).toContain('aws:SecureTransport');
  });

  it('subscribes e-mail addresses to the existing topic when both are given', () => {
    const all = resources({ alarmTopicArn: TOPIC_ARN, alarmEmail: 'ops@example.com' });

    expect(ofType(all, 'AWS::SNS::Topic')).toEqual([]);
    expect(ofType(all, 'AWS::SNS::Subscription').map(([, s]) => s.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: TOPIC_ARN },
    ]);
    expect(alarmActions(all)).toEqual(Array(9).fill({ alarm: [TOPIC_ARN], ok: [TOPIC_ARN] }));
  });

  it('refuses what is not a topic ARN or an e-mail address', () => {
    expect(() => resources({ alarmTopicArn: 'arn:aws:sqs:eu-west-1:123456789012:q' })).toThrow(
      /alarm topic ARN 'arn:aws:sqs:eu-west-1:123456789012:q' is not the ARN of a standard SNS topic/,
    );
    expect(() => resources({ alarmTopicArn: `${TOPIC_ARN}.fifo` })).toThrow(/not the ARN of a standard SNS topic/);
    expect(() => resources({ alarmEmail: 'ops@example.com,oncall' })).toThrow(/alarm e-mail 'oncall' is not an e-mail address/);
  });
});
