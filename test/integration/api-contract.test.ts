import { beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../lambdas/contract/openapi';
import { startPipeline, type Pipeline } from '../support/pipeline';

describe('HTTP API contract against the emulators', () => {
  let pipeline: Pipeline;
  let acme: string;
  let globex: string;
  let readOnly: string;

  beforeAll(async () => {
    pipeline = await startPipeline();
    acme = await pipeline.createKey('acme');
    globex = await pipeline.createKey('globex');
    readOnly = await pipeline.createKey('acme', ['read']);
  });

  const expectError = (response: { status: number; body: { error?: { code?: string; message?: string } } }, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.body.error?.code).toBe(code);
    expect(response.body.error?.message).toEqual(expect.any(String));
  };

  describe('Authentication', () => {
    it('answers /health without a key', async () => {
      const response = await pipeline.call('GET', '/health');
      expect(response).toMatchObject({ status: 200, body: { status: 'ok' } });
    });

    it('refuses every other route without a key, with a malformed key and with an unknown key', async () => {
      expectError(await pipeline.call('GET', '/v1/subscriptions'), 401, 'unauthorized');
      expectError(await pipeline.call('POST', '/v1/events', { body: { type: 'a', data: 1 } }), 401, 'unauthorized');
      expectError(await pipeline.call('GET', '/v1/subscriptions', { key: 'wfk_garbage' }), 401, 'unauthorized');
      const forged = acme.slice(0, -8) + (acme.endsWith('A') ? 'B' : 'A').repeat(8);
      expectError(await pipeline.call('GET', '/v1/subscriptions', { key: forged }), 401, 'unauthorized');
    });

    it('tells a client that sends the key without the Bearer scheme what to send', async () => {
      const response = await pipeline.call('GET', '/v1/subscriptions', { headers: { authorization: acme } });
      expectError(response, 401, 'bearer_scheme_required');
      expect(response.body.error.message).toContain('Authorization: Bearer <api key>');
    });

    it('answers 403 when the key lacks the scope', async () => {
      expectError(await pipeline.call('POST', '/v1/events', { key: readOnly, body: { type: 'a', data: 1 } }), 403, 'forbidden');
      expectError(
        await pipeline.call('POST', '/v1/subscriptions', { key: readOnly, body: { url: 'https://example.com', eventTypes: ['*'] } }),
        403,
        'forbidden',
      );
      expect((await pipeline.call('GET', '/v1/subscriptions', { key: readOnly })).status).toBe(200);
    });
  });

  describe('Tenancy', () => {
    it("answers 404 for another tenant's subscription and event on every route", async () => {
      // Prepare
      const created = await pipeline.call('POST', '/v1/subscriptions', {
        key: acme,
        body: { url: 'https://hooks.example.com/acme', eventTypes: ['*'] },
      });
      const event = await pipeline.call('POST', '/v1/events', { key: acme, body: { type: 'order.created', data: {} } });
      const sub = created.body.id as string;
      const evt = event.body.id as string;

      // Act + Assess
      for (const [method, path, body] of [
        ['GET', `/v1/subscriptions/${sub}`],
        ['PATCH', `/v1/subscriptions/${sub}`, { description: 'taken over' }],
        ['DELETE', `/v1/subscriptions/${sub}`],
        ['POST', `/v1/subscriptions/${sub}/rotate-secret`],
        ['GET', `/v1/subscriptions/${sub}/deliveries`],
        ['GET', `/v1/events/${evt}`],
        ['GET', `/v1/events/${evt}/deliveries`],
        ['POST', `/v1/events/${evt}/replay`],
      ] as const) {
        expectError(await pipeline.call(method, path, { key: globex, ...(body ? { body } : {}) }), 404, 'not_found');
      }
      const globexList = await pipeline.call('GET', '/v1/subscriptions', { key: globex });
      expect(globexList.body.items).toEqual([]);
      expect((await pipeline.call('GET', `/v1/subscriptions/${sub}`, { key: acme })).status).toBe(200);
    });
  });

  describe('Subscriptions', () => {
    it('creates, reads, lists with a cursor, updates and deletes, never showing the secret after creation', async () => {
      // Prepare
      const tenantKey = await pipeline.createKey('crud');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const created = await pipeline.call('POST', '/v1/subscriptions', {
          key: tenantKey,
          body: { url: `https://hooks.example.com/${i}`, eventTypes: ['order.*'], headers: { 'x-team': 'billing' } },
        });
        expect(created.status).toBe(201);
        expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{44}$/);
        ids.push(created.body.id);
      }

      // Act
      const firstPage = await pipeline.call('GET', '/v1/subscriptions?limit=2', { key: tenantKey });
      const secondPage = await pipeline.call('GET', `/v1/subscriptions?limit=2&cursor=${firstPage.body.cursor}`, { key: tenantKey });
      const updated = await pipeline.call('PATCH', `/v1/subscriptions/${ids[0]}`, {
        key: tenantKey,
        body: { eventTypes: ['*'], description: 'all events' },
      });
      const deleted = await pipeline.call('DELETE', `/v1/subscriptions/${ids[1]}`, { key: tenantKey });
      const afterDelete = await pipeline.call('GET', `/v1/subscriptions/${ids[1]}`, { key: tenantKey });

      // Assess
      expect([...firstPage.body.items, ...secondPage.body.items].map((s: { id: string }) => s.id)).toEqual(ids);
      expect(secondPage.body.cursor).toBeUndefined();
      for (const item of [...firstPage.body.items, ...secondPage.body.items]) expect(item.secret).toBeUndefined();
      expect(updated.body).toMatchObject({ eventTypes: ['*'], description: 'all events', headers: { 'x-team': 'billing' } });
      expect(updated.body.secret).toBeUndefined();
      expect(deleted.status).toBe(204);
      expectError(afterDelete, 404, 'not_found');
    });

    it('refuses invalid subscriptions with 422 and a reason', async () => {
      for (const body of [
        { url: 'ftp://example.com', eventTypes: ['*'] },
        { url: 'http://example.com/plain-http', eventTypes: ['*'] },
        { url: 'https://user:pass@example.com', eventTypes: ['*'] },
        { url: 'https://127.0.0.1/hook', eventTypes: ['*'] },
        { url: 'https://[::ffff:169.254.169.254]/latest', eventTypes: ['*'] },
        { url: 'https://example.com', eventTypes: [] },
        { url: 'https://example.com', eventTypes: ['bad type!'] },
        { url: 'https://example.com', eventTypes: ['*'], headers: { 'webhook-signature': 'forged' } },
        { url: 'https://example.com', eventTypes: ['*'], unknownField: true },
      ]) {
        const response = await pipeline.call('POST', '/v1/subscriptions', { key: acme, body });
        expect(response.status, JSON.stringify(body)).toBe(422);
        expect(['validation_failed', 'url_not_allowed']).toContain(response.body.error.code);
      }
    });
  });

  describe('Subscription limits', () => {
    it('refuses header names that differ only in case with 422 duplicate_header, on create and on update', async () => {
      // Prepare
      const existing = await pipeline.subscribe(acme, 'https://hooks.example.com/headers');
      const headers = { 'X-Team': 'billing', 'x-team': 'ops' };

      // Act
      const created = await pipeline.call('POST', '/v1/subscriptions', {
        key: acme,
        body: { url: 'https://hooks.example.com/headers', eventTypes: ['*'], headers },
      });
      const updated = await pipeline.call('PATCH', `/v1/subscriptions/${existing.id}`, { key: acme, body: { headers } });
      const after = await pipeline.call('GET', `/v1/subscriptions/${existing.id}`, { key: acme });

      // Assess
      const error = {
        code: 'duplicate_header',
        message: 'headers "X-Team" and "x-team" differ only in case; header names are case-insensitive, so give each once',
      };
      expect(created).toMatchObject({ status: 422, body: { error } });
      expect(updated).toMatchObject({ status: 422, body: { error } });
      expect(after.body.headers).toEqual({});
    });

    it('refuses more than the default limits with 422 limit_exceeded naming the limit and its value', async () => {
      // Prepare
      const headers = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, 'v']));
      const eventTypes = Array.from({ length: 101 }, (_, i) => `type.${i}`);

      // Act
      const tooManyHeaders = await pipeline.call('POST', '/v1/subscriptions', { key: acme, body: { url: 'https://hooks.example.com/l', eventTypes: ['*'], headers } });
      const tooManyFilters = await pipeline.call('POST', '/v1/subscriptions', { key: acme, body: { url: 'https://hooks.example.com/l', eventTypes } });
      const tooManyBytes = await pipeline.call('POST', '/v1/subscriptions', {
        key: acme,
        body: { url: 'https://hooks.example.com/l', eventTypes: ['*'], headers: { 'x-1': 'v'.repeat(1000), 'x-2': 'v'.repeat(1000), 'x-3': 'v'.repeat(1000), 'x-4': 'v'.repeat(1000), 'x-5': 'v'.repeat(100) } },
      });

      // Assess
      expect(tooManyHeaders).toMatchObject({
        status: 422,
        body: { error: { code: 'limit_exceeded', message: 'headers has 21 headers; a subscription may have at most 20 (limit maxHeadersPerSubscription)' } },
      });
      expect(tooManyFilters).toMatchObject({
        status: 422,
        body: { error: { code: 'limit_exceeded', message: 'eventTypes has 101 filters; a subscription may have at most 100 (limit maxEventTypesPerSubscription)' } },
      });
      expect(tooManyBytes).toMatchObject({
        status: 422,
        body: {
          error: { code: 'limit_exceeded', message: 'headers take 4115 bytes (names and values); a subscription may have at most 4096 (limit maxHeaderBytesPerSubscription)' },
        },
      });
    });
  });

  describe('Errors', () => {
    it('answers bad input with the right status and code, never a 5xx', async () => {
      expectError(await pipeline.call('POST', '/v1/events', { key: acme, body: '{"type":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
      expectError(await pipeline.call('POST', '/v1/events', { key: acme, body: 'type=a', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
      expectError(await pipeline.call('POST', '/v1/events', { key: acme, body: { type: 'a', data: 'x'.repeat(300 * 1024) } }), 413, 'payload_too_large');
      expectError(await pipeline.call('POST', '/v1/events', { key: acme, body: { type: '', data: 1 } }), 422, 'validation_failed');
      expectError(await pipeline.call('POST', '/v1/events', { key: acme, body: { type: 'a' } }), 422, 'validation_failed');
      expectError(await pipeline.call('GET', '/v1/nothing-here', { key: acme }), 404, 'not_found');
      const wrongMethod = await pipeline.call('PUT', '/v1/subscriptions', { key: acme, body: {} });
      expectError(wrongMethod, 405, 'method_not_allowed');
      expect(wrongMethod.headers.allow).toBe('POST, GET');
      expectError(await pipeline.call('GET', '/v1/subscriptions?limit=0', { key: acme }), 422, 'validation_failed');
      expectError(await pipeline.call('GET', '/v1/subscriptions?cursor=%25%25%25', { key: acme }), 400, 'invalid_cursor');
      expectError(await pipeline.call('GET', '/v1/events/evt_%ZZ', { key: acme }), 404, 'not_found');
    });
  });

  describe('OpenAPI document', () => {
    it('answers GET /openapi.json without a key with the OpenAPI 3.1 document of the API', async () => {
      // Act
      const response = await pipeline.call('GET', '/openapi.json');

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.body.openapi).toMatch(/^3\.1\./);
      expect(response.body).toEqual(buildOpenApiDocument());
    });
  });
});
