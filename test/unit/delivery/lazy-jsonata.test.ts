import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/core/resource-env';

const require = createRequire(import.meta.url);
const jsonataLoaded = (): boolean => Object.keys(require.cache).some((file) => file.includes('/node_modules/jsonata/'));

describe('Module: lambdas/delivery/handler.ts', () => {
  it('loads without JSONata, which the first transformation loads', async () => {
    // Prepare
    const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/placeholder';
    const resources = [ENV.deliveriesTable, ENV.subscriptionsTable, ENV.eventsTable, ENV.apiKeysTable].map((name) => [name, 'placeholder']);
    const queues = [ENV.deliveryQueueUrl, ENV.deliveryDlqUrl, ENV.fanoutQueueUrl].map((name) => [name, queueUrl]);
    Object.assign(process.env, Object.fromEntries([...resources, ...queues]), { AWS_REGION: 'us-east-1' });

    // Act
    const handler = await import('../../../lambdas/delivery/handler');
    const loadedAtStart = jsonataLoaded();
    const { evaluateTransformation } = await import('../../../lambdas/core/transformation');
    await evaluateTransformation('type', { type: 'a', timestamp: '', data: null });

    // Assess
    expect(typeof handler.handler).toBe('function');
    expect(loadedAtStart).toBe(false);
    expect(jsonataLoaded()).toBe(true);
  });
});
