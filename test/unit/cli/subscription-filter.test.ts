import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aSubscriptionView } from '../../kit/builders';
import { startStandInCli, type StandInCli } from '../../support/cli-stand-in';

const SUBSCRIPTION = aSubscriptionView();

describe('CLI: subscriptions --filter', () => {
  /** A stand-in API that answers with one subscription. */
  let cli: StandInCli;
  const sentBody = () => JSON.parse(cli.api.requests.at(-1)!.body) as Record<string, unknown>;

  beforeAll(async () => {
    cli = await startStandInCli(200, { ...SUBSCRIPTION, filter: { data: { amount: [1] } } });
  });
  afterAll(() => cli.close());

  it('sends the filter as JSON on create and prints it', async () => {
    // Act
    await cli.run('subscriptions', 'create', '--url', SUBSCRIPTION.url, '--event-types', 'order.*', '--filter', '{"data": {"amount": [{"numeric": [">=", 100]}]}}');

    // Assess
    expect(sentBody()).toEqual({ url: SUBSCRIPTION.url, eventTypes: ['order.*'], filter: { data: { amount: [{ numeric: ['>=', 100] }] } } });
    expect(cli.lines.join('\n')).toMatch(/^filter: +\{"data":\{"amount":\[1\]\}\}$/m);
  });

  it('replaces the filter on update, and --clear-filter sends null', async () => {
    // Act
    await cli.run('subscriptions', 'update', SUBSCRIPTION.id, '--filter', '{"type": [{"prefix": "order."}]}');
    const replaced = sentBody();
    await cli.run('subscriptions', 'update', SUBSCRIPTION.id, '--clear-filter');

    // Assess
    expect(replaced).toEqual({ filter: { type: [{ prefix: 'order.' }] } });
    expect(sentBody()).toEqual({ filter: null });
  });

  it('refuses text that is not a JSON object before calling the API', async () => {
    // Prepare
    const before = cli.api.requests.length;

    // Act
    const notJson = await cli.run('subscriptions', 'update', SUBSCRIPTION.id, '--filter', '{data: 1}').catch((error: Error) => error);
    const notObject = await cli.run('subscriptions', 'update', SUBSCRIPTION.id, '--filter', '[1]').catch((error: Error) => error);

    // Assess
    expect(String(notJson)).toContain('must be JSON text (quote it for the shell).');
    expect(String(notObject)).toContain('must be a JSON object.');
    expect(cli.api.requests.length).toBe(before);
  });
});
