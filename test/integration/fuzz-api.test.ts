import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../../local/api-gateway/event';
import { lambdaContext } from '../../local/lambda/context';
import { localClients } from '../support/emulators';
import { ENV } from '../../lambdas/core/resource-env';
import { memberText, readJsonStructure } from '../../lambdas/core/json-text';
import * as H from '../support/hostile-inputs';
import { queueDepth } from '../support/queues';
import { startPipeline, type ApiResponse, type Pipeline } from '../support/pipeline';

/**
 * Property tests of the public HTTP API against the real handlers and the emulators: whatever a
 * client sends (bodies, content types, headers, path segments, query strings, methods), the answer
 * is never a 5xx, always a documented status, always JSON in the error shape when it is an error,
 * and never shows a subscription secret outside the answers to create and rotate-secret.
 *
 * Runs are bounded (FUZZ_RUNS scales them; FUZZ_SEED replays a failure). Subscription URLs are
 * https://hooks.example.com/...: they are only stored, because nothing here polls the queues.
 */

const SCALE = Number(process.env.FUZZ_RUNS ?? '1');
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const options = <T>(numRuns: number): fc.Parameters<T> => ({
  numRuns: runs(numRuns),
  ...(SEED === undefined ? {} : { seed: SEED }),
});

/** fc.assert with the run count and the examples (earlier findings) every run replays first. */
const check = <Ts extends unknown[]>(property: fc.IAsyncPropertyWithHooks<Ts>, numRuns: number, examples: NoInfer<Ts>[] = []): Promise<void> =>
  fc.assert(property, { ...options<Ts>(numRuns), examples });

const ALLOWED_STATUSES = new Set([200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422]);
const EVENT_ID = /^evt_[0-9A-HJKMNP-TV-Z]{26}$/;
const SUB_ID = /^sub_[0-9A-HJKMNP-TV-Z]{26}$/;

/** Content types the contract calls JSON, and ones it must refuse with 415. */
const JSON_CONTENT_TYPES = new Set<string | null | undefined>(H.JSON_CONTENT_TYPES);
const NOT_JSON_CONTENT_TYPES = new Set<string | null | undefined>(H.NOT_JSON_CONTENT_TYPES);

/** Whose valid key (acme's full-scope key is the one most runs use), or an invalid or missing one. */
type Principal = 'acme' | 'globex' | 'readOnly' | 'strict' | 'invalid' | 'none';
interface Auth {
  label: string;
  header: string | undefined;
  principal: Principal;
}

interface FuzzRequest {
  method: string;
  /** Path and query string as sent (the harness resolves it like a URL). */
  path: string;
  /** A string is sent as its UTF-8 bytes; a Uint8Array as exactly those bytes. */
  body?: string | Uint8Array;
  /** undefined: the harness default (JSON when there is a body); null: no content-type header. */
  contentType?: string | null;
  headers?: Record<string, string>;
  auth: Auth;
}

type BodyClass = 'invalid_json' | 'json_too_deep' | 'json';

const depthOf = (value: unknown): number => {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    max = Math.max(max, depth);
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
};

/** The bytes the function is sent. */
const wireBytes = (body: string | Uint8Array | undefined): Buffer =>
  body === undefined ? Buffer.alloc(0) : Buffer.from(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

/** What the body's bytes decode to as UTF-8 (exactly, when they are UTF-8). */
const wireText = (body: string | Uint8Array | undefined): string => wireBytes(body).toString('utf8');

/** What the contract says about a body: 400 if it is not JSON or nests deeper than 32 levels (the root is level 1). */
const classify = (text: string): BodyClass => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'invalid_json';
  }
  return depthOf(parsed) > 32 ? 'json_too_deep' : 'json';
};

const parseOrUndefined = (text: string): any => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const normalizedPath = (path: string): string => new URL(path, 'http://localhost').pathname;

const prototypeBaseline = Object.getOwnPropertyNames(Object.prototype).sort();

describe('HTTP API fuzzing: no 5xx, the error contract, no leaked secrets', () => {
  let pipeline: Pipeline;
  let ingestHandler: (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; headers?: Record<string, unknown>; body?: string }>;
  let apiHandler: typeof ingestHandler;
  let maxBodyBytes: number;
  let keys: { acme: string; globex: string; readOnly: string; strict: string };
  let fixtures: { acmeSub: string; globexSub: string; deletedSub: string; acmeEvent: string; globexEvent: string; strictSub: string };
  let auths: { acme: Auth; globex: Auth; readOnly: Auth; strict: Auth };
  let counter = 0;
  const unique = (label: string): string => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

  beforeAll(async () => {
    // The runs create hundreds of subscriptions for one tenant: the quota (its own tests are in
    // subscription-quotas.test.ts) is raised out of their way.
    pipeline = await startPipeline({ [ENV.maxSubscriptionsPerTenant]: '1000000' });
    // The same module instances startPipeline imported: for the requests its `call` cannot shape
    // (a body with no content-type header at all, bytes that are not UTF-8).
    ingestHandler = (await import('../../lambdas/ingest/handler')).handler as unknown as typeof ingestHandler;
    apiHandler = (await import('../../lambdas/api/handler')).handler as unknown as typeof ingestHandler;
    maxBodyBytes = Number(pipeline.env.MAX_BODY_BYTES ?? 256 * 1024);
    keys = {
      acme: await pipeline.createKey('acme'),
      globex: await pipeline.createKey('globex'),
      readOnly: await pipeline.createKey('acme', ['read']),
      strict: await pipeline.createKey('strict'),
    };
    auths = {
      acme: { label: 'acme', header: `Bearer ${keys.acme}`, principal: 'acme' },
      globex: { label: 'globex', header: `Bearer ${keys.globex}`, principal: 'globex' },
      readOnly: { label: 'read-only', header: `Bearer ${keys.readOnly}`, principal: 'readOnly' },
      strict: { label: 'strict', header: `Bearer ${keys.strict}`, principal: 'strict' },
    };
    const sub = async (auth: Auth) => {
      const response = await send({ method: 'POST', path: '/v1/subscriptions', auth, body: JSON.stringify({ url: 'https://hooks.example.com/fixture', eventTypes: ['*'] }) });
      expect(response.status).toBe(201);
      return response.body.id as string;
    };
    const evt = async (auth: Auth) => {
      const response = await send({ method: 'POST', path: '/v1/events', auth, body: JSON.stringify({ type: 'fixture.created', data: { n: 1 } }) });
      expect(response.status).toBe(202);
      return response.body.id as string;
    };
    const deletedSub = await sub(auths.acme);
    expect((await send({ method: 'DELETE', path: `/v1/subscriptions/${deletedSub}`, auth: auths.acme })).status).toBe(204);
    fixtures = {
      acmeSub: await sub(auths.acme),
      globexSub: await sub(auths.globex),
      deletedSub,
      acmeEvent: await evt(auths.acme),
      globexEvent: await evt(auths.globex),
      strictSub: await sub(auths.strict),
    };
  });

  /** Sends through the harness, or straight to the same handlers when the harness cannot shape it. */
  const send = async (request: FuzzRequest): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...(request.headers ?? {}) };
    if (request.auth.header !== undefined) headers.authorization = request.auth.header;
    if (typeof request.contentType === 'string') headers['content-type'] = request.contentType;
    const what = `${request.method} ${request.path.slice(0, 200)}`;
    const needsRaw = request.body instanceof Uint8Array || (request.contentType === null && request.body !== undefined);
    if (!needsRaw) {
      try {
        return await pipeline.call(request.method, request.path, { key: null, headers, ...(request.body === undefined ? {} : { body: request.body }) });
      } catch (error) {
        throw new Error(`${what}: the handler threw or answered with a body that is not JSON: ${String(error)}`);
      }
    }
    // As the harness does: a body without a stated content type is sent as application/json (null: none at all).
    if (request.contentType === undefined) headers['content-type'] = 'application/json';
    const event = apiGatewayEvent({ method: request.method, url: request.path, headers, body: Buffer.from(request.body!) });
    const handler = request.method.toUpperCase() === 'POST' && event.rawPath === '/v1/events' ? ingestHandler : apiHandler;
    let result: Awaited<ReturnType<typeof handler>>;
    try {
      result = await handler(event, lambdaContext('http', 10_000));
    } catch (error) {
      throw new Error(`${what}: the handler threw: ${String(error)}`);
    }
    let body: unknown;
    if (result.body) {
      try {
        body = JSON.parse(result.body);
      } catch {
        throw new Error(`${what}: the answer (${result.statusCode}) is not JSON: ${result.body.slice(0, 200)}`);
      }
    }
    return { status: result.statusCode, headers: result.headers ?? {}, body, text: result.body ?? '' };
  };

  /** Answers seen per property (status and error code), to check the runs reach past the first refusal. */
  let seen = new Map<string, number>();
  const tally = (response: ApiResponse): void => {
    const label = response.status >= 400 ? `${response.status} ${response.body?.error?.code}` : String(response.status);
    seen.set(label, (seen.get(label) ?? 0) + 1);
  };
  beforeEach(() => {
    seen = new Map();
  });
  afterEach((context) => {
    if (process.env.FUZZ_STATS) console.info(context.task.name, Object.fromEntries([...seen].sort()));
  });

  /** The runs got past the first refusal: each of these answers came up at least once. */
  const expectSeen = (...labels: string[]): void => {
    for (const label of labels) expect(seen.get(label) ?? 0, `never answered ${label}: ${JSON.stringify(Object.fromEntries(seen))}`).toBeGreaterThan(0);
  };

  /**
   * The checks every answer must pass, whatever was asked. Only the answers to the fuzzed requests
   * count towards `expectSeen`, not the test's own read-backs.
   */
  const checkContract = (request: FuzzRequest, response: ApiResponse, { readBack = false } = {}): void => {
    if (!readBack) tally(response);
    const shown = JSON.stringify(response.body) ?? '';
    const where = `${request.method} ${request.path.slice(0, 120)} [auth ${request.auth.label}] -> ${response.status} ${shown.slice(0, 300)}`;
    expect(response.status, where).toBeLessThan(500);
    expect(ALLOWED_STATUSES.has(response.status), where).toBe(true);
    if (response.status === 204) {
      expect(response.body, where).toBeUndefined();
    } else {
      expect(typeof response.body === 'object' && response.body !== null, where).toBe(true);
    }
    if (response.status >= 400) {
      expect(Object.keys(response.body), where).toEqual(['error']);
      // An invalid filter also says where it is wrong; no other error adds a member.
      expect(Object.keys(response.body.error).sort(), where).toEqual(response.body.error.code === 'invalid_filter' ? ['code', 'message', 'path'] : ['code', 'message']);
      expect(response.body.error.code, where).toMatch(/^[a-z_]+$/);
      expect(typeof response.body.error.message === 'string' && response.body.error.message.length > 0, where).toBe(true);
    }
    // Only create (201) and rotate-secret (200) answer a POST with 2xx other than 202; only they show a secret.
    const method = request.method.toUpperCase();
    if (method === 'POST' && (response.status === 201 || response.status === 200)) {
      expect(response.body.secret, where).toMatch(/^whsec_[A-Za-z0-9+/=]{20,}$/);
    } else if (!(method === 'GET' && /^\/openapi\.json\/?$/.test(normalizedPath(request.path)))) {
      // The OpenAPI document shows the format of a secret with a made-up example; nothing else may.
      expect(shown.includes('whsec_'), where).toBe(false);
    }
    const path = normalizedPath(request.path);
    if (method === 'POST' && path === '/v1/events' && response.status < 300) {
      expect(response.status, where).toBe(202);
      expect(response.body.id, where).toMatch(EVENT_ID);
    }
    // Authentication comes first everywhere but the public routes.
    if (method === 'GET' && /^\/health\/?$/.test(path)) {
      expect(response, where).toMatchObject({ status: 200, body: { status: 'ok' } });
    } else if (method === 'GET' && /^\/openapi\.json\/?$/.test(path)) {
      expect(response.status, where).toBe(200);
      expect(response.body.openapi, where).toMatch(/^3\.1\./);
    } else if (request.auth.principal === 'invalid' || request.auth.principal === 'none') {
      expect(response.status, where).toBe(401);
      expect(['unauthorized', 'bearer_scheme_required'], where).toContain(response.body.error.code);
      expect(response.headers['www-authenticate'], where).toBe('Bearer');
    }
    if (response.status === 405) expect(typeof response.headers.allow === 'string' && response.headers.allow !== '', where).toBe(true);
    // Nothing parsed from a request leaks into the prototypes of this process.
    expect(Object.getOwnPropertyNames(Object.prototype).sort(), where).toEqual(prototypeBaseline);
    expect(({} as Record<string, unknown>).polluted, where).toBeUndefined();
  };

  /**
   * For a route that reads a JSON body, called with a full-scope key: 415 for a content type that is
   * not JSON, 400 for text that is not JSON or nests too deep, otherwise one of `allowed`.
   */
  const checkBodyHandling = (request: FuzzRequest, response: ApiResponse, allowed: number[]): void => {
    const where = `${request.method} ${request.path.slice(0, 120)} ${JSON.stringify(request.contentType)} -> ${response.status} ${JSON.stringify(response.body)?.slice(0, 300)}`;
    // The harness states application/json for any body it is given, even an empty one.
    const contentType = request.contentType === undefined && request.body === undefined ? null : request.contentType;
    if (NOT_JSON_CONTENT_TYPES.has(contentType)) {
      expect(response.status, where).toBe(415);
      expect(response.body.error.code, where).toBe('unsupported_media_type');
      return;
    }
    if (!JSON_CONTENT_TYPES.has(contentType)) return;
    const bytes = wireBytes(request.body);
    if (bytes.length > maxBodyBytes) {
      expect(response.status, where).toBe(413);
      return;
    }
    if (!isUtf8(bytes)) {
      expect(response.status, where).toBe(400);
      expect(response.body.error.code, where).toBe('invalid_encoding');
      return;
    }
    const bodyClass = classify(bytes.toString('utf8'));
    if (bodyClass === 'invalid_json' || bodyClass === 'json_too_deep') {
      expect(response.status, where).toBe(400);
      expect(response.body.error.code, where).toBe(bodyClass);
    } else {
      expect(allowed, where).toContain(response.status);
    }
  };

  // Arbitraries that need the keys: built lazily, after beforeAll.
  const authArb = (): fc.Arbitrary<Auth> => {
    const acme = keys.acme;
    const forged = acme.slice(0, -6) + (acme.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
    const invalid = (header: string | undefined, label: string): Auth => ({ label, header, principal: header === undefined ? 'none' : 'invalid' });
    return fc.oneof(
      { weight: 10, arbitrary: fc.constant(auths.acme) },
      {
        weight: 2,
        arbitrary: fc.constantFrom<Auth>(
          { label: 'lower-case scheme', header: `bearer ${acme}`, principal: 'acme' },
          { label: 'extra whitespace', header: `Bearer \t ${acme}  `, principal: 'acme' },
        ),
      },
      { weight: 2, arbitrary: fc.constant(auths.globex) },
      { weight: 2, arbitrary: fc.constant(auths.readOnly) },
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          invalid(undefined, 'missing'),
          invalid('', 'empty'),
          invalid('Bearer', 'Bearer alone'),
          invalid('Bearer ', 'Bearer and a space'),
          invalid('Basic x', 'Basic'),
          invalid(`Basic ${Buffer.from(`user:${acme}`).toString('base64')}`, 'Basic with the key'),
          invalid(`Bearer ${acme}junk`, 'trailing junk'),
          invalid(`Bearer ${acme} junk`, 'trailing word'),
          invalid(`Bearer ${acme}\u0000`, 'trailing NUL'),
          invalid(`Bearer ${acme},Bearer ${acme}`, 'repeated header'),
          invalid(`Token ${acme}`, 'other scheme'),
          invalid(acme, 'no scheme'),
          invalid(`Bearer ${forged}`, 'forged checksum'),
          invalid(`Bearer ${acme.slice(0, -1)}`, 'truncated'),
          invalid('Bearer wfk_', 'prefix only'),
          invalid(`Bearer ${'A'.repeat(10_000)}`, 'very long'),
          invalid(`Bearer ${acme.replace('wfk_', 'WFK_')}`, 'upper-case prefix'),
        ),
      },
      { weight: 1, arbitrary: H.hostileString(60).map((header) => invalid(header, 'random')) },
    );
  };

  /** A body: route-shaped most of the time, otherwise anything; sometimes raw bytes, sometimes none. */
  const bodyArb = (
    fields?: Record<string, fc.Arbitrary<string>>,
    required: readonly string[] = [],
    valid?: fc.Arbitrary<string>,
  ): fc.Arbitrary<string | Uint8Array | undefined> =>
    fc.oneof(
      { weight: valid === undefined ? 0 : 5, arbitrary: valid ?? fc.constant(undefined) },
      { weight: fields === undefined ? 0 : 5, arbitrary: fields === undefined ? fc.constant(undefined) : H.fieldBody(fields, required) },
      { weight: 3, arbitrary: H.genericBody() },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );

  const queryArb = (): fc.Arbitrary<string> => fc.oneof(H.queryString(), H.plausibleQueryString());

  const contentTypeArb = (): fc.Arbitrary<string | null | undefined> =>
    fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 4, arbitrary: H.contentType() }, { weight: 1, arbitrary: fc.constant(null) });

  const headersArb = (withIdempotency: boolean): fc.Arbitrary<Record<string, string>> =>
    fc
      .tuple(H.noiseHeaders(), withIdempotency ? fc.option(H.idempotencyKeyHeader(), { nil: undefined }) : fc.constant(undefined))
      .map(([noise, key]) => ({ ...noise, ...(key === undefined ? {} : { 'idempotency-key': key }) }));

  type TargetKind = 'own' | 'other' | 'deleted' | 'unknown' | 'raw';
  interface Target {
    kind: TargetKind;
    segment: string;
  }
  const targetArb = (): fc.Arbitrary<{ kind: TargetKind; raw: string }> =>
    fc.oneof(
      { weight: 5, arbitrary: fc.constant({ kind: 'own', raw: '' }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'other' as const, raw: '' }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'deleted' as const, raw: '' }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'unknown' as const, raw: '' }) },
      { weight: 4, arbitrary: H.hostileSegment().map((raw) => ({ kind: 'raw' as const, raw })) },
    );

  const createOwnSubscription = async (): Promise<string> => {
    const response = await send({
      method: 'POST',
      path: '/v1/subscriptions',
      auth: auths.acme,
      body: JSON.stringify({ url: `https://hooks.example.com/${unique('own')}`, eventTypes: ['order.*'], description: 'fuzz target' }),
    });
    expect(response.status).toBe(201);
    return response.body.id as string;
  };

  const resolveSubscription = async ({ kind, raw }: { kind: TargetKind; raw: string }): Promise<Target> => {
    switch (kind) {
      case 'own':
        return { kind, segment: await createOwnSubscription() };
      case 'other':
        return { kind, segment: fixtures.globexSub };
      case 'deleted':
        return { kind, segment: fixtures.deletedSub };
      case 'unknown':
        return { kind, segment: 'sub_01ARZ3NDEKTSV4RRFFQ69G5FAV' };
      case 'raw':
        return { kind, segment: raw };
    }
  };

  const resolveEvent = ({ kind, raw }: { kind: TargetKind; raw: string }): Target => {
    switch (kind) {
      case 'own':
        return { kind, segment: fixtures.acmeEvent };
      case 'other':
        return { kind, segment: fixtures.globexEvent };
      case 'deleted':
      case 'unknown':
        return { kind, segment: 'evt_01ARZ3NDEKTSV4RRFFQ69G5FAV' };
      case 'raw':
        return { kind, segment: raw };
    }
  };

  /** Another tenant's, a deleted or an unknown resource is never answered with 2xx by `acme`. */
  const checkTenancy = (request: FuzzRequest, target: Target, response: ApiResponse): void => {
    if (request.auth.principal !== 'acme' || !['other', 'deleted', 'unknown'].includes(target.kind)) return;
    const where = `${request.method} ${request.path} (${target.kind}) -> ${response.status} ${JSON.stringify(response.body)}`;
    expect(response.status, where).toBeGreaterThanOrEqual(400);
  };

  it('POST /v1/events: any body, content type, Idempotency-Key and Authorization', { timeout: 60_000 }, async () => {
    await check(
      fc.asyncProperty(
        authArb(),
        bodyArb(H.publishFields(), ['type', 'data'], H.validPublishBody()),
        contentTypeArb(),
        headersArb(true),
        fc.oneof({ weight: 12, arbitrary: fc.constant('/v1/events') }, { weight: 1, arbitrary: fc.constantFrom('/v1/events?x=1', '/v1/events/', '/V1/events', '/v1//events') }),
        async (auth, body, contentType, headers, path) => {
          const request: FuzzRequest = { method: 'POST', path, auth, headers, ...(body === undefined ? {} : { body }), ...(contentType === undefined ? {} : { contentType }) };
          const response = await send(request);
          checkContract(request, response);
          if (path.startsWith('/v1/events') && normalizedPath(path) === '/v1/events' && auth.principal === 'acme') {
            checkBodyHandling(request, response, [202, 409, 422]);
          }
          if (response.status === 202) {
            // What was accepted reads back exactly as sent: the text of its data member, byte for byte.
            const sentText = wireText(body);
            const sent = JSON.parse(sentText);
            const stored = await send({ method: 'GET', path: `/v1/events/${response.body.id}`, auth });
            checkContract({ method: 'GET', path: '/v1/events/{id}', auth }, stored, { readBack: true });
            expect(stored.status).toBe(200);
            expect(stored.body.type).toBe(sent.type);
            expect(stored.text).toContain(`"data":${memberText(sentText, readJsonStructure(sentText), 'data')},"deliveries":`);
          }
        },
      ),
      // Found by this property: SQS refuses U+FFFE/U+FFFF, and fauxqs any surrogate pair (emoji).
      200,
      [
          [auths.acme, '{"type":"a","data":[{"\ufffe":[]}]}', undefined, {}, '/v1/events'],
          [auths.acme, '{"type":"a","data":"\uffff"}', undefined, {}, '/v1/events'],
          [auths.acme, '{"type":"a","data":{"emoji":"😀👩‍👩‍👧"}}', 'application/json; charset=utf-8', {}, '/v1/events'],
          // At the 32-level limit (202), one past it and far past it (400).
          [auths.acme, `{"type":"a","data":${H.nestedText(31, 'array')}}`, undefined, {}, '/v1/events'],
          [auths.acme, `{"type":"a","data":${H.nestedText(32, 'mixed')}}`, undefined, {}, '/v1/events'],
          [auths.acme, H.nestedText(50_000, 'array'), undefined, {}, '/v1/events'],
        ],
    );
    expectSeen('202', '400 invalid_json', '401 unauthorized', '403 forbidden', '415 unsupported_media_type', '422 validation_failed');
  });

  it('POST and GET /v1/subscriptions: any body, content type and query string', { timeout: 60_000 }, async () => {
    await check(
      fc.asyncProperty(
        authArb(),
        fc.constantFrom('POST', 'POST', 'POST', 'POST', 'GET', 'GET', 'PUT', 'DELETE'),
        bodyArb(H.subscriptionFields(), ['url', 'eventTypes'], H.validSubscriptionBody()),
        contentTypeArb(),
        headersArb(false),
        queryArb(),
        async (auth, method, body, contentType, headers, query) => {
          const path = method === 'GET' ? `/v1/subscriptions${query}` : '/v1/subscriptions';
          const request: FuzzRequest = { method, path, auth, headers, ...(body === undefined ? {} : { body }), ...(contentType === undefined ? {} : { contentType }) };
          const response = await send(request);
          checkContract(request, response);
          if (auth.principal === 'acme' && method === 'POST') checkBodyHandling(request, response, [201, 422]);
          if (auth.principal === 'acme' && method === 'GET') expect([200, 400, 422]).toContain(response.status);
          if (['PUT', 'DELETE'].includes(method) && auth.principal !== 'invalid' && auth.principal !== 'none') expect(response.status).toBe(405);
          if (response.status === 201) {
            const sent = parseOrUndefined(wireText(body));
            expect(response.body.id).toMatch(SUB_ID);
            const stored = await send({ method: 'GET', path: `/v1/subscriptions/${response.body.id}`, auth });
            checkContract({ method: 'GET', path: '/v1/subscriptions/{id}', auth }, stored, { readBack: true });
            expect(stored.status).toBe(200);
            expect(stored.body.secret).toBeUndefined();
            expect(stored.body.url).toBe(sent.url);
            expect(stored.body.eventTypes).toEqual(sent.eventTypes);
            expect(stored.body.filter).toEqual(sent.filter);
          }
          if (method === 'GET' && response.status === 200) {
            expect(Array.isArray(response.body.items)).toBe(true);
            for (const item of response.body.items) expect(item.secret).toBeUndefined();
          }
        },
      ),
      150,
      [
        [auths.acme, 'GET', undefined, undefined, {}, '?cursor=!!!'],
        [auths.acme, 'GET', undefined, undefined, {}, `?cursor=${Buffer.from('A'.repeat(201)).toString('base64url')}`],
        [auths.acme, 'POST', H.nestedText(40, 'object'), undefined, {}, ''],
      ],
    );
    expectSeen('200', '201', '400 invalid_json', '401 unauthorized', '405 method_not_allowed', '415 unsupported_media_type', '422 validation_failed');
  });

  it('GET, PATCH and DELETE /v1/subscriptions/{id}: any id, body and method', { timeout: 60_000 }, async () => {
    await check(
      fc.asyncProperty(
        authArb(),
        fc.oneof({ weight: 8, arbitrary: fc.constantFrom('GET', 'PATCH', 'PATCH', 'DELETE', 'DELETE') }, { weight: 1, arbitrary: H.method() }),
        targetArb(),
        fc.constantFrom('', '', '', '/'),
        bodyArb(H.subscriptionFields(), [], H.validUpdateBody()),
        contentTypeArb(),
        headersArb(false),
        async (auth, method, targetSpec, trailing, body, contentType, headers) => {
          const target = await resolveSubscription(targetSpec);
          const path = `/v1/subscriptions/${target.segment}${trailing}`;
          const sendsBody = method.toUpperCase() !== 'GET';
          const request: FuzzRequest = {
            method,
            path,
            auth,
            headers,
            ...(sendsBody && body !== undefined ? { body } : {}),
            ...(contentType === undefined ? {} : { contentType }),
          };
          const response = await send(request);
          checkContract(request, response);
          checkTenancy(request, target, response);
          const upper = method.toUpperCase();
          if (auth.principal === 'acme' && target.kind !== 'raw') {
            if (upper === 'PATCH') checkBodyHandling(request, response, target.kind === 'own' ? [200, 422] : [404, 422]);
            if (upper === 'GET' || upper === 'DELETE') expect(response.status).toBe(target.kind === 'own' ? (upper === 'GET' ? 200 : 204) : 404);
          }
          if (auth.principal === 'readOnly' && target.kind !== 'raw' && (upper === 'PATCH' || upper === 'DELETE')) {
            expect(response.status).toBe(403);
          }
          if (response.status === 200 && upper === 'GET' && target.kind !== 'raw') expect(response.body.id).toBe(target.segment);
        },
      ),
      // Found by this property: an id longer than DynamoDB's key limit was a 500.
      150,
      [
        [auths.acme, 'GET', { kind: 'raw', raw: 'a'.repeat(5000) }, '', undefined, undefined, {}],
        [auths.acme, 'PATCH', { kind: 'raw', raw: 'a'.repeat(5000) }, '', '{"description":"x"}', undefined, {}],
        [auths.acme, 'DELETE', { kind: 'raw', raw: 'a'.repeat(5000) }, '', undefined, undefined, {}],
        // A body cut off mid-value: the contract's 400 is always exercised, not left to chance.
        [auths.acme, 'PATCH', { kind: 'raw', raw: 'sub_01J0000000000000000000000A' }, '', '{"description":', undefined, {}],
      ],
    );
    expectSeen('200', '204', '400 invalid_json', '401 unauthorized', '403 forbidden', '404 not_found', '415 unsupported_media_type', '422 validation_failed');
  });

  it('rotate-secret, recover and deliveries of /v1/subscriptions/{id}: any id, body and query', { timeout: 60_000 }, async () => {
    await check(
      fc.asyncProperty(
        authArb(),
        fc.constantFrom('rotate-secret', 'recover', 'recover', 'deliveries', 'deliveries', 'deliveries'),
        fc.oneof({ weight: 6, arbitrary: fc.constant('natural') }, { weight: 1, arbitrary: H.method() }),
        targetArb(),
        bodyArb(H.recoverFields(), ['since'], H.validRecoverBody()),
        contentTypeArb(),
        queryArb(),
        async (auth, action, methodChoice, targetSpec, body, contentType, query) => {
          const target = await resolveSubscription(targetSpec);
          const natural = action === 'deliveries' ? 'GET' : 'POST';
          const method = methodChoice === 'natural' ? natural : methodChoice;
          const path = `/v1/subscriptions/${target.segment}/${action}${action === 'deliveries' ? query : ''}`;
          const request: FuzzRequest = {
            method,
            path,
            auth,
            ...(method !== 'GET' && body !== undefined ? { body } : {}),
            ...(contentType === undefined ? {} : { contentType }),
          };
          const response = await send(request);
          checkContract(request, response);
          checkTenancy(request, target, response);
          if (auth.principal !== 'acme' || target.kind === 'raw' || method !== natural) return;
          if (action === 'recover') checkBodyHandling(request, response, target.kind === 'own' ? [202, 422] : [404, 422]);
          if (action === 'rotate-secret') expect(response.status).toBe(target.kind === 'own' ? 200 : 404);
          if (action === 'deliveries') {
            expect(target.kind === 'own' ? [200, 400, 422] : [404, 400, 422]).toContain(response.status);
            if (response.status === 200) expect(Array.isArray(response.body.items)).toBe(true);
          }
          if (action === 'recover' && response.status === 202) expect(response.body.subscriptionId).toBe(target.segment);
        },
      ),
      // Found by this property: a long id, a cursor outside the window and a reversed window were 500s.
      150,
      [
          [auths.acme, 'rotate-secret', 'natural', { kind: 'raw', raw: 'a'.repeat(5000) }, undefined, undefined, ''],
          [auths.acme, 'deliveries', 'natural', { kind: 'own', raw: '' }, undefined, undefined, `?cursor=${Buffer.from('evt_0').toString('base64url')}`],
          [auths.acme, 'deliveries', 'natural', { kind: 'own', raw: '' }, undefined, undefined, `?cursor=${Buffer.from('zzz').toString('base64url')}`],
          [auths.acme, 'deliveries', 'natural', { kind: 'own', raw: '' }, undefined, undefined, `?cursor=${Buffer.from(`evt_${'Z'.repeat(26)}`).toString('base64url')}`],
          [auths.acme, 'deliveries', 'natural', { kind: 'own', raw: '' }, undefined, undefined, '?since=2024-01-02T00:00:00Z&until=2024-01-01T00:00:00Z'],
          [auths.acme, 'recover', 'natural', { kind: 'own', raw: '' }, '{"since":"2999-01-01T00:00:00Z"}', undefined, ''],
          // A recovery that is accepted, so the 202 below is seen whatever the random runs pick.
          [auths.acme, 'recover', 'natural', { kind: 'own', raw: '' }, '{"since":"2024-01-01T00:00:00Z"}', undefined, ''],
        ],
    );
    expectSeen('200', '202', '401 unauthorized', '404 not_found', '422 validation_failed');
  });

  it('GET /v1/events/{id}, its deliveries and POST replay: any id, body and query', { timeout: 60_000 }, async () => {
    const subscriptionIdText = (): fc.Arbitrary<string> =>
      fc.oneof(
        fc.constantFrom('own', 'own', 'other', 'strict', 'unknown').map((which) =>
          JSON.stringify(
            { own: fixtures.acmeSub, other: fixtures.globexSub, strict: fixtures.strictSub, unknown: 'sub_01ARZ3NDEKTSV4RRFFQ69G5FAV' }[which],
          ),
        ),
        H.hostileSegment().map((segment) => JSON.stringify(segment)),
        H.hostileString().map((value) => JSON.stringify(value)),
        H.valueText(),
      );
    await check(
      fc.asyncProperty(
        authArb(),
        fc.constantFrom('', '', '/deliveries', '/deliveries', '/replay', '/replay', '/replay'),
        fc.oneof({ weight: 6, arbitrary: fc.constant('natural') }, { weight: 1, arbitrary: H.method() }),
        targetArb(),
        fc.oneof(
          { weight: 2, arbitrary: bodyArb({ subscriptionId: subscriptionIdText() }, [], fc.constantFrom('{}', JSON.stringify({ subscriptionId: fixtures.acmeSub }))) },
          { weight: 1, arbitrary: fc.constant(undefined) },
        ),
        contentTypeArb(),
        queryArb(),
        async (auth, action, methodChoice, targetSpec, body, contentType, query) => {
          const target = resolveEvent(targetSpec);
          const natural = action === '/replay' ? 'POST' : 'GET';
          const method = methodChoice === 'natural' ? natural : methodChoice;
          const path = `/v1/events/${target.segment}${action}${action === '/deliveries' ? query : ''}`;
          const request: FuzzRequest = {
            method,
            path,
            auth,
            ...(method !== 'GET' && body !== undefined ? { body } : {}),
            ...(contentType === undefined ? {} : { contentType }),
          };
          const response = await send(request);
          checkContract(request, response);
          checkTenancy(request, target, response);
          if (auth.principal !== 'acme' || target.kind === 'raw' || method !== natural) return;
          if (action === '') expect(response.status).toBe(target.kind === 'own' ? 200 : 404);
          if (action === '/deliveries') expect(target.kind === 'own' ? [200, 400, 422] : [404, 400, 422]).toContain(response.status);
          if (action === '/replay' && request.body !== undefined && wireText(request.body) !== '') {
            checkBodyHandling(request, response, target.kind === 'own' ? [202, 404, 422] : [404, 422]);
          }
          if (response.status === 200 && action === '') expect(response.body.id).toBe(target.segment);
        },
      ),
      // Found by this property: long event and subscription ids were 500s.
      150,
      [
          [auths.acme, '', 'natural', { kind: 'raw', raw: 'a'.repeat(5000) }, undefined, undefined, ''],
          [auths.acme, '/replay', 'natural', { kind: 'own', raw: '' }, `{"subscriptionId":"sub_${'A'.repeat(2000)}"}`, undefined, ''],
        ],
    );
    expectSeen('200', '202', '401 unauthorized', '404 not_found', '405 method_not_allowed', '422 validation_failed');
  });

  it('GET /health and unknown paths and methods: 200, 401, 404 or 405 in the error shape', { timeout: 60_000 }, async () => {
    const WORDS = ['v1', 'subscriptions', 'events', 'health', 'deliveries', 'replay', 'recover', 'rotate-secret', 'openapi.json', 'v2', 'admin', '.well-known', ''];
    const pathArb = fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom('/health', '/health/', '/HEALTH', '/health/x', '/v1/events', '/v1/subscriptions', '/', '') },
      {
        weight: 5,
        arbitrary: fc
          .array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...WORDS) }, { weight: 2, arbitrary: H.hostileSegment() }), { minLength: 1, maxLength: 5 })
          .map((segments) => `/${segments.join('/')}`)
          // `//x` would be a scheme-relative URL naming host x: no HTTP client sends that path.
          .filter((path) => !path.startsWith('//')),
      },
    );
    await check(
      fc.asyncProperty(
        authArb(),
        fc.oneof(
          { weight: 1, arbitrary: fc.tuple(fc.constantFrom('GET', 'get'), fc.constantFrom('/health', '/health/')) },
          { weight: 6, arbitrary: fc.tuple(H.method(), pathArb) },
        ),
        fc.oneof(fc.constant(''), H.queryString()),
        fc.option(H.genericBody(), { nil: undefined }),
        headersArb(true),
        async (auth, [method, rawPath], query, body, headers) => {
          const request: FuzzRequest = { method, path: `${rawPath}${query}` || '/', auth, headers, ...(body === undefined ? {} : { body }) };
          const response = await send(request);
          checkContract(request, response);
          if (auth.principal === 'acme') {
            const path = normalizedPath(request.path);
            const first = path.split('/')[1] ?? '';
            const where = `${method} ${request.path.slice(0, 100)} -> ${response.status}`;
            if (first !== 'v1' && first !== 'health' && !/^\/openapi\.json\/?$/.test(path)) expect(response.status, where).toBe(404);
            if (/^\/openapi\.json\/?$/.test(path) && method.toUpperCase() !== 'GET') {
              expect(response.status, where).toBe(405);
              expect(response.headers.allow, where).toBe('GET');
            }
            if (/^\/health\/?$/.test(path) && method.toUpperCase() !== 'GET') {
              expect(response.status, where).toBe(405);
              expect(response.headers.allow, where).toBe('GET');
            }
            if (path === '/v1/subscriptions' && !['GET', 'POST'].includes(method.toUpperCase())) expect(response.status, where).toBe(405);
            if (path === '/v1/events' && method.toUpperCase() !== 'POST') expect(response.status, where).toBe(405);
          }
        },
      ),
      200,
    );
    expectSeen('200', '401 unauthorized', '404 not_found', '405 method_not_allowed');
  });

  it('bodies near and above the size limit: 413 above it, never a 5xx below it', { timeout: 60_000 }, async () => {
    // A JSON string of exactly `bytes` UTF-8 bytes (quotes included), built from `unit` and padding.
    const jsonStringOfBytes = (bytes: number, unit: string): string => {
      const unitBytes = Buffer.byteLength(unit);
      const inner = bytes - 2;
      const count = Math.floor(inner / unitBytes);
      return `"${unit.repeat(count)}${'x'.repeat(inner - count * unitBytes)}"`;
    };
    const own = await createOwnSubscription();
    await check(
      fc.asyncProperty(
        fc.constantFrom('publish', 'publish', 'create', 'patch', 'recover', 'replay'),
        fc.oneof(fc.integer({ min: -12, max: 12 }), fc.constantFrom(-2000, 1, 1000, 300 * 1024, 1024 * 1024)),
        fc.constantFrom('x', 'é', '€', '😀', '\\u0000', '\\ud800'),
        async (route, offset, unit) => {
          const total = maxBodyBytes + offset;
          const shapes: Record<string, { method: string; path: string; prefix: string; under: number[] }> = {
            publish: { method: 'POST', path: '/v1/events', prefix: '{"type":"big.body","data":', under: [202] },
            create: { method: 'POST', path: '/v1/subscriptions', prefix: '{"url":"https://hooks.example.com/big","eventTypes":["*"],"description":', under: [422] },
            patch: { method: 'PATCH', path: `/v1/subscriptions/${own}`, prefix: '{"description":', under: [422] },
            recover: { method: 'POST', path: `/v1/subscriptions/${own}/recover`, prefix: '{"since":', under: [422] },
            replay: { method: 'POST', path: `/v1/events/${fixtures.acmeEvent}/replay`, prefix: '{"subscriptionId":', under: [404] },
          };
          const shape = shapes[route]!;
          const body = `${shape.prefix}${jsonStringOfBytes(total - Buffer.byteLength(shape.prefix) - 1, unit)}}`;
          expect(Buffer.byteLength(body)).toBe(total);
          const request: FuzzRequest = { method: shape.method, path: shape.path, auth: auths.acme, body };
          const response = await send(request);
          checkContract(request, response);
          const where = `${route} ${total} bytes of ${unit} -> ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`;
          if (total > maxBodyBytes) {
            expect(response.status, where).toBe(413);
            expect(response.body.error.code, where).toBe('payload_too_large');
          } else {
            expect(shape.under, where).toContain(response.status);
          }
        },
      ),
      // Every route exactly at the limit and one byte over it, whatever the random runs pick.
      12,
      [
        ['publish', 0, '😀'],
        ['publish', 1, 'x'],
        ['create', 0, 'é'],
        ['create', 1, 'x'],
        ['patch', 0, '€'],
        ['patch', 1, 'x'],
        ['recover', 0, 'x'],
        ['recover', 1, 'x'],
        ['replay', 0, 'x'],
        ['replay', 1, 'x'],
      ],
    );
    expectSeen('202', '404 not_found', '413 payload_too_large', '422 validation_failed');
  });

  it('a body valid but for one unknown key is refused with 422 and changes nothing', { timeout: 60_000 }, async () => {
    const { sqs } = localClients();
    // Ingest hands small fan-outs straight to the delivery queue: a wrongful hand-over shows in either.
    const queuedMessages = async (): Promise<number> =>
      (await queueDepth(sqs, pipeline.queueUrl('fanout'))) + (await queueDepth(sqs, pipeline.queueUrl('delivery')));
    const listAll = async (): Promise<unknown[]> => {
      const items: unknown[] = [];
      let cursor: string | undefined;
      do {
        const page = await send({ method: 'GET', path: `/v1/subscriptions?limit=100${cursor ? `&cursor=${cursor}` : ''}`, auth: auths.strict });
        expect(page.status).toBe(200);
        items.push(...page.body.items);
        cursor = page.body.cursor;
      } while (cursor !== undefined);
      return items;
    };
    const strictEvent = (await send({ method: 'POST', path: '/v1/events', auth: auths.strict, body: '{"type":"strict.base","data":null}' })).body.id as string;

    const KNOWN: Record<string, string[]> = {
      publish: ['type', 'data', 'idempotencyKey'],
      create: ['url', 'eventTypes', 'filter', 'description', 'headers', 'rateLimitPerSecond'],
      patch: ['url', 'eventTypes', 'filter', 'description', 'headers', 'rateLimitPerSecond', 'enabled'],
      recover: ['since', 'until'],
      replay: ['subscriptionId'],
    };
    const validMembers: Record<string, fc.Arbitrary<H.Member[]>> = {
      publish: fc.tuple(H.validEventType(), H.hostileJsonValue(4)).map(([type, data]) => [['type', JSON.stringify(type)], ['data', JSON.stringify(data) ?? 'null']]),
      create: fc
        .tuple(fc.stringMatching(/^[a-z0-9-]{1,20}$/), fc.array(H.validEventType(), { minLength: 1, maxLength: 3 }), fc.option(fc.string({ maxLength: 50 }), { nil: undefined }), fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }))
        .map(([path, types, description, rate]) => [
          ['url', JSON.stringify(`https://hooks.example.com/${path}`)],
          ['eventTypes', JSON.stringify(types)],
          ...(description === undefined ? [] : [['description', JSON.stringify(description)] as const]),
          ...(rate === undefined ? [] : [['rateLimitPerSecond', String(rate)] as const]),
        ]),
      patch: fc.constantFrom<H.Member[]>([['description', '"changed"']], [['enabled', 'false']], [['eventTypes', '["x.*"]']], [['rateLimitPerSecond', '7']], [['url', '"https://hooks.example.com/changed"']]),
      recover: fc.constantFrom<H.Member[]>([['since', '"2024-01-01T00:00:00Z"']], [['since', '"2024-01-01T00:00:00Z"'], ['until', '"2024-01-02T00:00:00+01:00"']]),
      replay: fc.constantFrom<H.Member[]>([], [['subscriptionId', JSON.stringify('strict-placeholder')]]),
    };
    const unknownKey = (route: string): fc.Arbitrary<string> =>
      fc
        .oneof(
          fc.constantFrom(...H.PROTOTYPE_KEYS),
          fc.constantFrom('URL', 'Type', 'event_types', 'eventtypes', 'secret', 'id', 'tenantId', 'version', 'enabled', 'idempotency_key', 'type ', ' type', 'data\u0000', 'urI', 'ｕｒｌ'),
          H.hostileString(12),
        )
        .filter((key) => !KNOWN[route]!.includes(key));
    const jsonValueText = fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null'), fc.constantFrom('1e400', '-0', 'null', '{"polluted":true}'));

    const caseArb = fc
      .constantFrom('publish', 'publish', 'create', 'create', 'patch', 'recover', 'replay')
      .chain((route) => fc.tuple(fc.constant(route), validMembers[route]!, unknownKey(route), jsonValueText, fc.nat()));

    await check(
      fc.asyncProperty(caseArb, async ([route, members, key, value, position]) => {
          const fixedMembers: H.Member[] = members.map(([name, text]) => [name, text === JSON.stringify('strict-placeholder') ? JSON.stringify(fixtures.strictSub) : text]);
          const at = position % (fixedMembers.length + 1);
          const withUnknown = [...fixedMembers.slice(0, at), [key, value] as const, ...fixedMembers.slice(at)];
          const body = H.objectText(withUnknown);
          const valid = H.objectText(fixedMembers);
          const paths: Record<string, { method: string; path: string }> = {
            publish: { method: 'POST', path: '/v1/events' },
            create: { method: 'POST', path: '/v1/subscriptions' },
            patch: { method: 'PATCH', path: `/v1/subscriptions/${fixtures.strictSub}` },
            recover: { method: 'POST', path: `/v1/subscriptions/${fixtures.strictSub}/recover` },
            replay: { method: 'POST', path: `/v1/events/${strictEvent}/replay` },
          };
          const { method, path } = paths[route]!;
          const idempotencyKey = unique('strict');
          const headers = route === 'publish' ? { 'idempotency-key': idempotencyKey } : undefined;

          const countBefore = route === 'create' ? (await listAll()).length : 0;
          const subBefore = route === 'patch' ? (await send({ method: 'GET', path: `/v1/subscriptions/${fixtures.strictSub}`, auth: auths.strict })).body : undefined;
          const depthBefore = await queuedMessages();

          const request: FuzzRequest = { method, path, auth: auths.strict, body, ...(headers ? { headers } : {}) };
          const response = await send(request);
          checkContract(request, response);
          const where = `${route} ${body.slice(0, 200)} -> ${response.status} ${JSON.stringify(response.body)}`;
          expect(response.status, where).toBe(422);
          expect(response.body.error.code, where).toBe('validation_failed');

          expect(await queuedMessages(), where).toBe(depthBefore);
          if (route === 'create') expect((await listAll()).length, where).toBe(countBefore);
          if (route === 'patch') {
            const after = await send({ method: 'GET', path: `/v1/subscriptions/${fixtures.strictSub}`, auth: auths.strict });
            expect(after.body, where).toEqual(subBefore);
          }
          if (route === 'publish') {
            // Had the refused request claimed its Idempotency-Key, another body with it would be a 409.
            const other = H.objectText(fixedMembers.map(([name, text]) => [name, name === 'data' ? `{"followUp":${text}}` : text]));
            const followUp = await send({ method: 'POST', path, auth: auths.strict, headers: { 'idempotency-key': idempotencyKey }, body: other });
            checkContract({ method, path, auth: auths.strict }, followUp, { readBack: true });
            expect(followUp.status, where).toBe(202);
          }
          // The same body without the unknown key is accepted: the key alone made the difference.
          if (route === 'create' || route === 'recover') {
            const accepted = await send({ method, path, auth: auths.strict, body: valid });
            checkContract({ method, path, auth: auths.strict }, accepted, { readBack: true });
            expect(accepted.status, `${where}; without it: ${accepted.status} ${JSON.stringify(accepted.body)}`).toBe(route === 'create' ? 201 : 202);
          }
      }),
      100,
    );
  });

  it('the same Idempotency-Key returns the same 202 for the same body, 409 for another', { timeout: 60_000 }, async () => {
    await check(
      fc.asyncProperty(
        H.validEventType(),
        H.hostileJsonValue(4),
        H.idempotencyKeyHeader().filter((key) => key.length >= 1 && key.length <= 200),
        fc.constantFrom('header', 'body', 'both'),
        async (type, data, keySuffix, where) => {
          const key = `${unique('idem')}:${keySuffix}`.slice(0, 255);
          const members = (payload: unknown, order: 'forward' | 'reverse'): H.Member[] => {
            const list: H.Member[] = [
              ['type', JSON.stringify(type)],
              ['data', JSON.stringify(payload) ?? 'null'],
              ...(where === 'header' ? [] : [['idempotencyKey', JSON.stringify(key)] as const]),
            ];
            return order === 'forward' ? list : list.reverse();
          };
          const publish = async (text: string) => {
            const request: FuzzRequest = { method: 'POST', path: '/v1/events', auth: auths.acme, body: text, ...(where === 'body' ? {} : { headers: { 'idempotency-key': key } }) };
            const response = await send(request);
            checkContract(request, response);
            return response;
          };
          const first = await publish(H.objectText(members(data, 'forward')));
          expect(first.status, JSON.stringify(first.body)).toBe(202);
          expect(first.body.type).toBe(type);

          const again = await publish(H.objectText(members(data, 'forward')));
          expect(again.status).toBe(202);
          expect(again.body).toEqual(first.body);

          const reordered = await publish(H.objectText(members(data, 'reverse')));
          expect(reordered.status).toBe(202);
          expect(reordered.body).toEqual(first.body);

          const different = await publish(H.objectText(members({ wrapped: [data] }, 'forward')));
          expect(different.status, JSON.stringify(different.body)).toBe(409);
          expect(different.body.error.code).toBe('idempotency_conflict');

          const otherType = await publish(H.objectText([['type', JSON.stringify(type.length <= 120 ? `other.${type}` : 'other.type')], ...members(data, 'forward').slice(1)]));
          expect(otherType.status).toBe(409);
        },
      ),
      100,
    );
  });
});
