import { CfnResource, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeApiRouteAuthentication, acknowledgeIngestRouteAuthentication } from './nag';

/**
 * One line per API request, billed as log ingestion like any other: what an operator needs of a
 * request and no more. `route` is method and path, which say more than the route key (every
 * management call matches `ANY /{proxy+}`); the function's own duration is in Lambda's metrics.
 */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  time: '$context.requestTimeEpoch',
  route: '$context.httpMethod $context.path',
  status: '$context.status',
  latency: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
});

export interface HttpApiOptions {
  /** Serves POST /v1/events. */
  readonly ingestFunction: lambda.IFunction;
  /** Serves every other route. */
  readonly apiFunction: lambda.IFunction;
  readonly accessLogGroup: logs.ILogGroup;
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** The public API: POST /v1/events to ingest, everything else to api; a throttled, access-logged default stage. */
export function createHttpApi(scope: Construct, options: HttpApiOptions): apigwv2.HttpApi {
  const api = new apigwv2.HttpApi(scope, 'HttpApi', {
    apiName: `${Stack.of(scope).stackName}-webhooks`,
    description: 'Webhook fan-out API',
    createDefaultStage: true,
  });
  // Authentication runs inside the functions (docs/decisions.md): authorizers cannot answer in the error shape.
  const ingestRoutes = api.addRoutes({
    path: '/v1/events',
    methods: [apigwv2.HttpMethod.POST],
    integration: new HttpLambdaIntegration('IngestIntegration', options.ingestFunction, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    }),
  });
  const apiRoutes = api.addRoutes({
    path: '/{proxy+}',
    methods: [apigwv2.HttpMethod.ANY],
    integration: new HttpLambdaIntegration('ApiIntegration', options.apiFunction, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    }),
  });
  for (const route of ingestRoutes) acknowledgeIngestRouteAuthentication(route.node.defaultChild as CfnResource);
  for (const route of apiRoutes) acknowledgeApiRouteAuthentication(route.node.defaultChild as CfnResource);

  // The L2 default stage takes no throttle or access-log settings, so they go on its L1 resource.
  const stage = api.defaultStage?.node.defaultChild;
  if (!(stage instanceof apigwv2.CfnStage)) {
    throw new Error('HttpApi did not create its default stage');
  }
  stage.defaultRouteSettings = { throttlingRateLimit: options.rateLimit, throttlingBurstLimit: options.burstLimit };
  stage.accessLogSettings = { destinationArn: options.accessLogGroup.logGroupArn, format: ACCESS_LOG_FORMAT };
  return api;
}
