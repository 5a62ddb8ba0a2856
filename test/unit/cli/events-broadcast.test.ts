import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../cli/main';
import { Receiver } from '../../support/receiver';

const ACCEPTED = { id: 'evt_01JNP8X3K5N2B7C4D9M6Q0R1ST', type: 'order.created', createdAt: '2026-03-01T12:00:00.000Z', broadcast: true };

describe('CLI: events send --broadcast', () => {
  let api: Receiver;
  const lines: string[] = [];
  /** Runs the CLI against a stand-in API on 127.0.0.1 that accepts every event as a broadcast. */
  const cli = (...args: string[]) => {
    const base = new URL(api.url).origin;
    return buildProgram((line) => lines.push(line), () => undefined).parseAsync([...args, '--api-url', base, '--api-key', 'wfk_test'], { from: 'user' });
  };

  beforeAll(async () => {
    api = await Receiver.start(() => ({ status: 202, headers: { 'content-type': 'application/json' }, body: JSON.stringify(ACCEPTED) }));
  });
  afterAll(() => api.close());

  it('sends broadcast: true beside the type and data, and says the event was broadcast', async () => {
    // Act
    await cli('events', 'send', '--type', 'order.created', '--data', '{"n":1}', '--broadcast');

    // Assess
    expect(api.requests.at(-1)!.body).toBe('{"type":"order.created","broadcast":true,"data":{"n":1}}');
    expect(lines.at(-1)).toBe(`accepted ${ACCEPTED.id} (order.created) at ${ACCEPTED.createdAt}, broadcast to the tenant's own subscriptions and every consumer's`);
  });

  it.each([['--consumer', 'cus_acme'], ['--subscription', 'sub_1']])('refuses --broadcast with %s before calling the API', async (option, value) => {
    // Prepare
    const before = api.requests.length;

    // Act
    const refused = await cli('events', 'send', '--type', 'order.created', '--data', '1', '--broadcast', option, value).catch((error: Error) => error);

    // Assess
    expect(String(refused)).toContain('--broadcast goes to every consumer: leave out --consumer and --subscription');
    expect(api.requests.length).toBe(before);
  });
});
