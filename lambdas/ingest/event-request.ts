import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from '../core/errors';
import { OPERATIONAL_EVENT_PREFIX, isOperationalEventType } from '../core/event-types';
import { DuplicateJsonKeyError, memberText, readJsonStructure, type JsonNode } from '../core/json-text';
import type { EventToPublish } from '../core/model';
import { publishEventRequestSchema, type PublishEventRequest } from '../contract/publish-request';
import { readJsonRequest, validate } from '../http/request-body';

const structureOf = (text: string): JsonNode => {
  try {
    return readJsonStructure(text);
  } catch (error) {
    if (error instanceof DuplicateJsonKeyError) {
      throw new HttpError(422, 'duplicate_json_key', `the request body is ambiguous: ${error.message}`);
    }
    throw error;
  }
};

/**
 * Reads the body of `POST /v1/events`: checked as a value (schema, reserved types), kept as text
 * (the `data` member exactly as written). A repeated key anywhere is refused: the value checked
 * here and the text a receiver reads would otherwise disagree on which one counts.
 */
export const readEventRequest = (event: APIGatewayProxyEventV2, maxBytes: number): EventToPublish => {
  const { text, parsed } = readJsonRequest(event, maxBytes);
  const structure = structureOf(text);
  const request = validate(publishEventRequestSchema, parsed);
  if (isOperationalEventType(request.type)) {
    throw new HttpError(
      422,
      'reserved_event_type',
      `types starting with "${OPERATIONAL_EVENT_PREFIX}" (in any letter case) are published by the service itself`,
    );
  }
  refuseBroadcastWithRouting(request);
  const dataJson = memberText(text, structure, 'data');
  if (dataJson === undefined) throw new Error('a validated event request has no data member');
  return {
    type: request.type,
    dataJson,
    ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
    ...(request.consumerId === undefined ? {} : { consumerId: request.consumerId }),
    ...(request.subscriptionId === undefined ? {} : { subscriptionId: request.subscriptionId }),
    ...(request.broadcast === true ? { broadcast: true as const } : {}),
  };
};

/** A broadcast goes to every owner's subscriptions: naming one consumer or one subscription contradicts it. */
const refuseBroadcastWithRouting = (request: PublishEventRequest): void => {
  if (request.broadcast !== true) return;
  for (const field of ['consumerId', 'subscriptionId'] as const) {
    if (request[field] !== undefined) {
      throw new HttpError(
        422,
        'broadcast_conflict',
        `broadcast and ${field} cannot be combined: a broadcast goes to the tenant's own subscriptions and every consumer's; leave out one of them`,
      );
    }
  }
};
