import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { sampledLevel } from '../aws/logger';
import { idempotencyKeySchema } from '../contract/publish-request';
import { METRIC_NAMES } from '../core/telemetry-names';
import { requireScope } from '../http/authenticator';
import { httpHandler, principalOf, type AuthenticatedContext, type HttpChain } from '../http/middleware';
import { header, validate } from '../http/request-body';
import { json, type HttpResult } from '../http/responses';
import { acceptEvent, type AcceptEventDeps } from '../pipeline/accept-event';
import { readEventRequest } from './event-request';
import type { InlineFanOut } from '../core/ports';

/** What the ingest function works with; the production set is built from the environment in handler.ts. */
export interface IngestHandlerDeps {
  /** Where an accepted event is stored and handed over; an inline fan-out here is counted as the fan-out function counts its own. */
  accept: AcceptEventDeps;
  http: Omit<HttpChain, 'outermost'>;
  metrics: Metrics;
  maxBodyBytes: number;
  /** Share of accepted events logged at INFO. */
  successLogSampleRate: number;
  random: () => number;
}

/** Counts the deliveries of an event fanned out here, as the fan-out function counts its own. */
const counted = (inline: InlineFanOut, metrics: Metrics): InlineFanOut => ({
  subscription: (owner, id) => inline.subscription(owner, id),
  prepare: async (message, target) => {
    const send = await inline.prepare(message, target);
    return (
      send &&
      (async () => {
        const result = await send();
        metrics.addMetric(METRIC_NAMES.fanoutDeliveries, MetricUnit.Count, result.subscriptionIds.length);
        return result;
      })
    );
  },
});

/** `POST /v1/events`: validate, store, hand over to fan-out, answer 202. */
export const createIngestHandler = (deps: IngestHandlerDeps) => {
  const { metrics } = deps;
  const { logger } = deps.http;
  const { inlineFanOut, ...accept } = deps.accept;
  const acceptDeps: AcceptEventDeps = { ...accept, ...(inlineFanOut === undefined ? {} : { inlineFanOut: counted(inlineFanOut, metrics) }) };

  const publishEvent = async (event: APIGatewayProxyEventV2, context: AuthenticatedContext): Promise<HttpResult> => {
    const principal = principalOf(context);
    requireScope(principal, 'events:write');
    const request = readEventRequest(event, deps.maxBodyBytes);
    const rawKey = header(event, 'idempotency-key');
    const headerIdempotencyKey = rawKey === undefined ? undefined : validate(idempotencyKeySchema, rawKey, 'Idempotency-Key header');
    const accepted = await acceptEvent(
      { tenantId: principal.tenantId, request, ...(headerIdempotencyKey === undefined ? {} : { headerIdempotencyKey }) },
      acceptDeps,
    );
    // Sampled like successful deliveries: the API's access log already has a line per request.
    const level = sampledLevel(logger, deps.successLogSampleRate, deps.random);
    if (level !== undefined) logger[level]('event accepted', { tenantId: principal.tenantId, eventId: accepted.id, type: accepted.type });
    metrics.addMetric(METRIC_NAMES.eventsAccepted, MetricUnit.Count, 1);
    return json(202, accepted);
  };

  return httpHandler({ ...deps.http, outermost: [logMetrics(metrics, { throwOnEmptyMetrics: false })] }, publishEvent);
};
