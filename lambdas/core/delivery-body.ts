import type { DeliveryMessage } from './messages';
import { evaluateTransformation, type TransformationResult } from './transformation';

type EventHead = Pick<DeliveryMessage, 'eventType' | 'createdAt'>;

/**
 * The body every subscriber receives: `{type, timestamp, data}`, timestamp being when the event was
 * accepted, and data the JSON text the publisher sent, byte for byte (what the signature covers).
 */
export const webhookBody = (message: EventHead, dataJson: string | undefined): string =>
  `{"type":${JSON.stringify(message.eventType)},"timestamp":${JSON.stringify(message.createdAt)},"data":${dataJson ?? 'null'}}`;

/**
 * The body one subscription receives: the envelope above, or what its transformation makes of it
 * (the envelope as a value, data parsed), a cancellation or a failure. Only a subscription with a
 * transformation loads JSONata.
 */
export const deliveryBody = async (
  transformation: string | undefined,
  message: EventHead,
  dataJson: string | undefined,
): Promise<TransformationResult> =>
  transformation === undefined
    ? { kind: 'body', body: webhookBody(message, dataJson) }
    : evaluateTransformation(transformation, { type: message.eventType, timestamp: message.createdAt, data: JSON.parse(dataJson ?? 'null') as unknown });
