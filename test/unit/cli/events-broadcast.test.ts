import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInCli, type StandInCli } from '../../support/cli-stand-in';

const ACCEPTED = { id: 'evt_01JNP8X3K5N2B7C4D9M6Q0R1ST', type: 'order.created', createdAt: '2026-03-01T12:00:00.000Z', broadcast: true };

describe('CLI: events send --broadcast', () => {
  /** A stand-in API that accepts every event as a broadcast. */
  let cli: StandInCli;

  beforeAll(async () => {
    cli = await startStandInCli(202, ACCEPTED);
  });
  afterAll(() => cli.close());

  it('sends broadcast: true beside the type and data, and says the event was broadcast', async () => {
    // Act
    await cli.run('events', 'send', '--type', 'order.created', '--data', '{"n":1}', '--broadcast');

    // Assess
    expect(cli.api.requests.at(-1)!.body).toBe('{"type":"order.created","broadcast":true,"data":{"n":1}}');
    expect(cli.lines.at(-1)).toBe(`accepted ${ACCEPTED.id} (order.created) at ${ACCEPTED.createdAt}, broadcast to the tenant's own subscriptions and every consumer's`);
  });

  it.each([['--consumer', 'cus_acme'], ['--subscription', 'sub_1']])('refuses --broadcast with %s before calling the API', async (option, value) => {
    // Prepare
    const before = cli.api.requests.length;

    // Act
    const refused = await cli.run('events', 'send', '--type', 'order.created', '--data', '1', '--broadcast', option, value).catch((error: Error) => error);

    // Assess
    expect(String(refused)).toContain('--broadcast goes to every consumer: leave out --consumer and --subscription');
    expect(cli.api.requests.length).toBe(before);
  });
});
