import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { issueApiKey } from '../../admin/api-keys';
import { ENV } from '../../lambdas/core/resource-env';
import type { StoredEvent, IdempotencyRecord } from '../../lambdas/core/model';
import type { ClaimResult, EventStore, FanoutPublisher } from '../../lambdas/core/ports';
import { acceptEvent, type AcceptEventDeps } from '../../lambdas/pipeline/accept-event';
import { apiGatewayEvent } from '../../local/api-gateway/event';
import { lambdaContext } from '../../local/lambda/context';
import { installInMemoryAws } from './aws-stub';
import { BENCH_EVENT_TYPE, eventData } from './payload';
import { runAsWorker } from './worker';

/** What one way of accepting events cost, per event. */
export interface IngestMeasurement {
  cpuMicrosPerEvent: number;
  wallMicrosPerEvent: number;
  /** Calls per event, by `Service.Operation` (handler) or port method (pure function). */
  callsPerEvent: Record<string, number>;
}

export interface IngestWorkerResult {
  events: number;
  warmUp: number;
  handler: { withoutKey: IngestMeasurement; withKey: IngestMeasurement };
  acceptEvent: { withoutKey: IngestMeasurement; withKey: IngestMeasurement };
}

const INGEST_EVENTS = 2000;
const WARM_UP = 300;
const TENANT = 'bench';

/**
 * CPU and wall time of `invoke` over `count` calls, after `warmUp` calls that let the JIT and the
 * function's caches (the API key) settle. The calls are sequential, as in one Lambda instance.
 */
const measure = async (
  count: number,
  invoke: (index: number) => Promise<void>,
  callCounts: { reset(): void; snapshot(): Record<string, number> },
): Promise<IngestMeasurement> => {
  for (let index = 0; index < WARM_UP; index++) await invoke(-1 - index);
  callCounts.reset();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let index = 0; index < count; index++) await invoke(index);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const perEvent = Object.fromEntries(Object.entries(callCounts.snapshot()).map(([name, calls]) => [name, calls / count]));
  return { cpuMicrosPerEvent: (cpu.user + cpu.system) / count, wallMicrosPerEvent: (wallMs * 1000) / count, callsPerEvent: perEvent };
};

/** Port fakes that keep what they are given and count each call. */
class CountingPorts implements EventStore, FanoutPublisher {
  private readonly calls = new Map<string, number>();
  private readonly claims = new Map<string, IdempotencyRecord>();
  private readonly events = new Map<string, StoredEvent>();

  private count(name: string): void {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
  }
  async putEvent(event: StoredEvent) {
    this.count('EventStore.putEvent');
    this.events.set(event.id, event);
  }
  async getEvent(_tenantId: string, eventId: string) {
    this.count('EventStore.getEvent');
    return this.events.get(eventId);
  }
  async claimIdempotencyKey(record: IdempotencyRecord): Promise<ClaimResult> {
    this.count('EventStore.claimIdempotencyKey');
    const existing = this.claims.get(record.key);
    if (existing !== undefined) return { claimed: false, existing };
    this.claims.set(record.key, record);
    return { claimed: true };
  }
  async findIdempotencyKey(_tenantId: string, key: string) {
    this.count('EventStore.findIdempotencyKey');
    return this.claims.get(key);
  }
  async markHandedOver(_tenantId: string, key: string) {
    this.count('EventStore.markHandedOver');
    const claim = this.claims.get(key);
    if (claim !== undefined) claim.handedOver = true;
  }
  async publishFanout() {
    this.count('FanoutPublisher.publishFanout');
  }
  reset(): void {
    this.calls.clear();
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.calls);
  }
}

/** The pure core of ingest with in-memory ports: what the domain logic alone costs. */
const measureAcceptEvent = (withKey: boolean): Promise<IngestMeasurement> => {
  const ports = new CountingPorts();
  const deps: AcceptEventDeps = { events: ports, fanout: ports, now: Date.now, eventRetentionDays: 30 };
  const dataJson = JSON.stringify(eventData());
  return measure(
    INGEST_EVENTS,
    async (index) => {
      await acceptEvent(
        { tenantId: TENANT, request: { type: BENCH_EVENT_TYPE, dataJson }, ...(withKey ? { headerIdempotencyKey: `key-${index}` } : {}) },
        deps,
      );
    },
    ports,
  );
};

/** The whole ingest function (middy, auth, validation, stores, publisher, logs, metrics) against the in-memory AWS. */
const measureHandler = async (withKey: boolean): Promise<IngestMeasurement> => {
  const { handler } = await import('../../lambdas/ingest/handler');
  const { awsRequests } = await import('../../lambdas/aws/request-counter');
  const apiKey = await seedApiKey();
  const body = Buffer.from(JSON.stringify({ type: BENCH_EVENT_TYPE, data: eventData() }));
  const requestFor = (index: number): [APIGatewayProxyEventV2, Context] => [
    apiGatewayEvent(
      {
        method: 'POST',
        url: '/v1/events',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          ...(withKey ? { 'idempotency-key': `event-${index}` } : {}),
        },
        body,
      },
      'POST /v1/events',
    ),
    lambdaContext('ingest', 900_000),
  ];
  // Requests are built before the clock starts: API Gateway builds them, not the function.
  const requests = new Map<number, [APIGatewayProxyEventV2, Context]>();
  for (let index = -WARM_UP; index < INGEST_EVENTS; index++) requests.set(index, requestFor(index));
  return measure(
    INGEST_EVENTS,
    async (index) => {
      const [event, context] = requests.get(index)!;
      const response = await handler(event, context);
      if (response.statusCode !== 202) throw new Error(`ingest answered ${response.statusCode}: ${response.body}`);
    },
    awsRequests,
  );
};

/** An API key for the tenant, written through the function's own key store. */
const seedApiKey = async (): Promise<string> => {
  const { DynamoApiKeyStore } = await import('../../lambdas/aws/dynamo-api-key-store');
  const { createDynamoClient } = await import('../../lambdas/aws/clients');
  const store = new DynamoApiKeyStore(createDynamoClient(), process.env[ENV.apiKeysTable]!);
  return (await issueApiKey(store, { tenantId: TENANT, scopes: ['events:write'] })).key;
};

runAsWorker(async (): Promise<IngestWorkerResult> => {
  installInMemoryAws();
  return {
    events: INGEST_EVENTS,
    warmUp: WARM_UP,
    acceptEvent: { withoutKey: await measureAcceptEvent(false), withKey: await measureAcceptEvent(true) },
    handler: { withoutKey: await measureHandler(false), withKey: await measureHandler(true) },
  };
});
