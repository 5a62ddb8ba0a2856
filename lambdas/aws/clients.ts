import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsRequests } from './request-counter';
import { requestTurns } from './request-turns';

/**
 * What every client is given. Its middleware stack is complete once it is created (the request
 * counter is attached here, before any request), so the SDK may resolve the stack once per command
 * instead of sorting it again on every request, which was a large share of a request's CPU.
 */
const COMMON_CONFIG = { cacheMiddleware: true } as const;

/**
 * SDK clients, created once per execution environment by the handlers. Endpoints come from the
 * SDK's own environment (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_DYNAMODB`) so the same code
 * reaches the emulators locally. Queue URLs are used as returned and never as endpoints: that is
 * a no-op on AWS and keeps emulators whose queue hosts do not resolve working.
 */
export const createSqsClient = (): SQSClient =>
  requestTurns.attach(awsRequests.attach(new SQSClient({ ...COMMON_CONFIG, useQueueUrlAsEndpoint: false }), 'SQS'));

export const createDynamoClient = (): DynamoDBClient =>
  requestTurns.attach(awsRequests.attach(new DynamoDBClient({ ...COMMON_CONFIG }), 'DynamoDB'));
