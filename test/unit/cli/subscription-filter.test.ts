import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../cli/main';
import { aSubscriptionView } from '../../kit/builders';
import { Receiver } from '../../support/receiver';

const SUBSCRIPTION = aSubscriptionView();

describe('CLI: subscriptions --filter', () => {
  let api: Receiver;
  const lines: string[] = [];
  /** Runs the CLI against a stand-in API on 127.0.0.1 that answers with one subscription. */
  const cli = (...args: string[]) => {
    const base = new URL(api.url).origin;
    return buildProgram((line) => lines.push(line), () => undefined).parseAsync([...args, '--api-url', base, '--api-key', 'wfk_test'], { from: 'user' });
  };
  const sentBody = () => JSON.parse(api.requests.at(-1)!.body) as Record<string, unknown>;

  beforeAll(async () => {
    api = await Receiver.start(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...SUBSCRIPTION, filter: { data: { amount: [1] } } }) }));
  });
  afterAll(() => api.close());

  it('sends the filter as JSON on create and prints it', async () => {
    // Act
    await cli('subscriptions', 'create', '--url', SUBSCRIPTION.url, '--event-types', 'order.*', '--filter', '{"data": {"amount": [{"numeric": [">=", 100]}]}}');

    // Assess
    expect(sentBody()).toEqual({ url: SUBSCRIPTION.url, eventTypes: ['order.*'], filter: { data: { amount: [{ numeric: ['>=', 100] }] } } });
    expect(lines.join('\n')).toMatch(/^filter: +\{"data":\{"amount":\[1\]\}\}$/m);
  });

  it('replaces the filter on update, and --clear-filter sends null', async () => {
    // Act
    await cli('subscriptions', 'update', SUBSCRIPTION.id, '--filter', '{"type": [{"prefix": "order."}]}');
    const replaced = sentBody();
    await cli('subscriptions', 'update', SUBSCRIPTION.id, '--clear-filter');

    // Assess
    expect(replaced).toEqual({ filter: { type: [{ prefix: 'order.' }] } });
    expect(sentBody()).toEqual({ filter: null });
  });

  it('refuses text that is not a JSON object before calling the API', async () => {
    // Prepare
    const before = api.requests.length;

    // Act
    const notJson = await cli('subscriptions', 'update', SUBSCRIPTION.id, '--filter', '{data: 1}').catch((error: Error) => error);
    const notObject = await cli('subscriptions', 'update', SUBSCRIPTION.id, '--filter', '[1]').catch((error: Error) => error);

    // Assess
    expect(String(notJson)).toContain('must be JSON text (quote it for the shell).');
    expect(String(notObject)).toContain('must be a JSON object.');
    expect(api.requests.length).toBe(before);
  });
});
