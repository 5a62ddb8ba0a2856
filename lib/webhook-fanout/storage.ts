import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { TABLE_KEYS } from '../../lambdas/core/resource-env';
import type { ResolvedConfig } from './config';

/*
 * What keeps data: the key, the tables and the log groups. They follow the removal policy (retained
 * by default), so their construct ids are their logical ids for good (test/infra/logical-ids.test.ts).
 */

export interface Storage {
  readonly key: kms.IKey;
  readonly eventsTable: dynamodb.Table;
  readonly subscriptionsTable: dynamodb.Table;
  readonly deliveriesTable: dynamodb.Table;
  readonly apiKeysTable: dynamodb.Table;
}

/** The key (the given one, or a new one with yearly rotation) and the four tables it encrypts. */
export function createStorage(scope: Construct, encryptionKey: kms.IKey | undefined, removalPolicy: RemovalPolicy): Storage {
  const key =
    encryptionKey ??
    new kms.Key(scope, 'Key', {
      description: 'Encrypts the webhook fan-out tables and queues',
      enableKeyRotation: true,
      removalPolicy,
    });
  const table = (id: string, withSortKey: boolean) => createTable(scope, id, withSortKey, key, removalPolicy);
  return {
    key,
    eventsTable: table('EventsTable', false),
    subscriptionsTable: table('SubscriptionsTable', true),
    deliveriesTable: table('DeliveriesTable', true),
    apiKeysTable: table('ApiKeysTable', false),
  };
}

function createTable(
  scope: Construct,
  id: string,
  withSortKey: boolean,
  key: kms.IKey,
  removalPolicy: RemovalPolicy,
): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: withSortKey ? { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
    removalPolicy,
  });
}

export function createLogGroup(
  scope: Construct,
  id: string,
  config: Pick<ResolvedConfig, 'logRetention' | 'removalPolicy'>,
): logs.LogGroup {
  return new logs.LogGroup(scope, id, { retention: config.logRetention, removalPolicy: config.removalPolicy });
}
