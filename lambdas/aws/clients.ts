import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsRequests } from './request-counter';

/**
 * SDK clients, created once per execution environment by the handlers. Endpoints come from the
 * SDK's own environment (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_DYNAMODB`) so the same code
 * reaches the emulators locally. Queue URLs are used as returned and never as endpoints: that is
 * a no-op on AWS and keeps emulators whose queue hosts do not resolve working.
 */
export const createSqsClient = (): SQSClient => awsRequests.attach(new SQSClient({ useQueueUrlAsEndpoint: false }), 'SQS');

export const createDynamoClient = (): DynamoDBClient => awsRequests.attach(new DynamoDBClient({}), 'DynamoDB');
