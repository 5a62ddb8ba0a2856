import { describe, expect, it } from 'vitest';
import { subscriptionRoutes } from '../../../lambdas/api/subscription-routes';
import { parseCidrList } from '../../../lambdas/core/ssrf';
import { DEFAULT_SUBSCRIPTION_LIMITS } from '../../../lambdas/core/subscription-limits';
import { Router, routesOf } from '../../../lambdas/http/router';
import { apiEvent, lambdaContext } from '../../kit/lambda-events';
import { rejectionOf } from '../../kit/expectations';
import { InMemoryDeliveryStore, InMemorySubscriptionStore, RecordingFanoutPublisher } from '../../kit/fakes';

const TENANT = 'tenant-1';

const setUp = (addresses: Record<string, string[]>) => {
  const subscriptions = new InMemorySubscriptionStore();
  const looked: string[] = [];
  const router = new Router(
    routesOf(
      subscriptionRoutes({
        subscriptions,
        deliveries: new InMemoryDeliveryStore(),
        fanout: new RecordingFanoutPublisher(),
        targetPolicy: { allowHttp: false, allowedNetworks: parseCidrList('10.1.0.0/16') },
        resolveHost: async (hostname) => {
          looked.push(hostname);
          return addresses[hostname];
        },
        secretGraceSeconds: 86400,
        maxBodyBytes: 262144,
        limits: DEFAULT_SUBSCRIPTION_LIMITS,
        now: () => Date.parse('2026-03-01T12:00:00Z'),
      }),
    ),
  );
  const create = (url: string) =>
    router.handle(
      apiEvent({
        method: 'POST',
        path: '/v1/subscriptions',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url, eventTypes: ['*'] }),
      }),
      { ...lambdaContext(), principal: { tenantId: TENANT, keyId: 'key_1', scopes: ['subscriptions:write', 'read'] } },
    );
  return { create, looked, subscriptions };
};

describe('Routes: subscriptions', () => {
  describe('Route: POST /v1/subscriptions', () => {
    it('refuses a host that resolves to any address outside the policy, naming it', async () => {
      // Prepare
      const { create, subscriptions } = setUp({ 'rebind.example.com': ['93.184.215.14', '10.2.0.5'] });

      // Act
      const error = await rejectionOf(create('https://rebind.example.com/hook'));

      // Assess
      expect(error).toMatchObject({ statusCode: 422, code: 'url_not_allowed' });
      expect(error.message).toContain('10.2.0.5');
      expect((await subscriptions.list({ tenantId: TENANT }, { limit: 10 })).items).toEqual([]);
    });

    it('accepts a host whose every address is public or in an allowed network', async () => {
      // Prepare
      const { create } = setUp({ 'hooks.example.com': ['93.184.215.14', '10.1.2.3'] });

      // Act
      const response = await create('https://hooks.example.com/hook');

      // Assess
      expect(response.statusCode).toBe(201);
    });

    it('accepts a host that does not resolve yet: every delivery checks again', async () => {
      // Prepare
      const { create, looked } = setUp({});

      // Act
      const response = await create('https://not-yet.example.com/hook');

      // Assess
      expect(response.statusCode).toBe(201);
      expect(looked).toEqual(['not-yet.example.com']);
    });

    it('checks a literal address without resolving anything', async () => {
      // Prepare
      const { create, looked } = setUp({});

      // Act
      const error = await rejectionOf(create('https://10.9.9.9/hook'));

      // Assess
      expect(error.statusCode).toBe(422);
      expect(looked).toEqual([]);
    });
  });
});
