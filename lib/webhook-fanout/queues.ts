import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

const KIB = 1024;
const MAX_QUEUE_MESSAGE_BYTES = 1024 * KIB;
export const QUEUE_RETENTION = Duration.days(14);
/** AWS recommends a visibility timeout of at least six times the consumer's timeout. */
const VISIBILITY_TIMEOUT_FACTOR = 6;
const FANOUT_MAX_RECEIVE_COUNT = 10;
/** Every retry and deferral of a delivery is a receive, so this is only a net for poison messages. */
export const DELIVERY_MAX_RECEIVE_COUNT = 100;

export interface Queues {
  readonly fanoutQueue: sqs.Queue;
  readonly fanoutDeadLetterQueue: sqs.Queue;
  readonly deliveryQueue: sqs.Queue;
  readonly deliveryDeadLetterQueue: sqs.Queue;
}

/** Timeouts of the functions that consume the queues, which their visibility timeouts follow. */
export interface ConsumerTimeouts {
  readonly fanout: Duration;
  readonly delivery: Duration;
}

/** The fan-out and delivery queues, each with its dead-letter queue, encrypted with the key. */
export function createQueues(
  scope: Construct,
  key: kms.IKey,
  removalPolicy: RemovalPolicy,
  consumerTimeouts: ConsumerTimeouts,
): Queues {
  const queue = (id: string, options?: Pick<sqs.QueueProps, 'visibilityTimeout' | 'deadLetterQueue'>) =>
    createQueue(scope, id, key, removalPolicy, options);
  const visibilityTimeout = (consumerTimeout: Duration) =>
    Duration.seconds(consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR);

  const fanoutDeadLetterQueue = queue('FanoutDeadLetterQueue');
  const fanoutQueue = queue('FanoutQueue', {
    visibilityTimeout: visibilityTimeout(consumerTimeouts.fanout),
    deadLetterQueue: { queue: fanoutDeadLetterQueue, maxReceiveCount: FANOUT_MAX_RECEIVE_COUNT },
  });
  const deliveryDeadLetterQueue = queue('DeliveryDeadLetterQueue');
  const deliveryQueue = queue('DeliveryQueue', {
    visibilityTimeout: visibilityTimeout(consumerTimeouts.delivery),
    deadLetterQueue: { queue: deliveryDeadLetterQueue, maxReceiveCount: DELIVERY_MAX_RECEIVE_COUNT },
  });
  return { fanoutQueue, fanoutDeadLetterQueue, deliveryQueue, deliveryDeadLetterQueue };
}

function createQueue(
  scope: Construct,
  id: string,
  key: kms.IKey,
  removalPolicy: RemovalPolicy,
  options: Pick<sqs.QueueProps, 'visibilityTimeout' | 'deadLetterQueue'> = {},
): sqs.Queue {
  return new sqs.Queue(scope, id, {
    ...options,
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    // Each data key is reused for an hour instead of five minutes: far fewer billed KMS calls.
    dataKeyReuse: Duration.hours(1),
    enforceSSL: true,
    // The queue attribute defaults to 256 KiB; the SQS limit is 1 MiB.
    maxMessageSizeBytes: MAX_QUEUE_MESSAGE_BYTES,
    retentionPeriod: QUEUE_RETENTION,
    removalPolicy,
  });
}
