import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberText, readJsonStructure } from '../../lambdas/core/json-text';
import { Receiver, ReceiverPool } from '../support/receiver';
import { jsonOf, runCli, runCliProcess, spawnCli, type RunningCli } from './cli-process';
import { startRuntime, STARTUP_BOUND_MS, waitFor, type StartedRuntime } from './local-runtime-process';

/**
 * The operator CLI's API commands (`subscriptions`, `consumers`, `events`, `recover`, `tail`) with `--local`,
 * as an operator runs them: child processes against `npm start`, receivers on 127.0.0.1.
 */
describe('CLI: subscriptions, events, recover and tail against a running npm start', () => {
  let runtime: StartedRuntime | undefined;
  const receivers = new ReceiverPool();
  let healthy: Receiver;
  let broken: Receiver;
  let healthyId = '';
  let healthySecret = '';
  let brokenId = '';
  let eventId = '';
  let consumerReceiver: Receiver;
  let consumerSubscriptionId = '';
  let tail: RunningCli | undefined;

  const cli = (...args: string[]) => runCli(runtime!.process.stateFile, args);

  beforeAll(async () => {
    // Two attempts one second apart, so the broken endpoint is exhausted within seconds.
    runtime = await startRuntime({ WEBHOOK_RETRY_SCHEDULE: '1' });
    healthy = await receivers.start();
    broken = await receivers.start(() => ({ status: 500 }));
  }, STARTUP_BOUND_MS + 10_000);

  afterAll(async () => {
    await tail?.interrupt();
    await receivers.closeAll();
    if (runtime !== undefined) expect((await runtime.process.stop()).code).toBe(0);
  });

  it('creates subscriptions, printing the secret once, and lists and shows them without it', async () => {
    // Act
    const created = jsonOf(await cli('subscriptions', 'create', '--url', healthy.url, '--event-types', 'order.*', '--description', 'orders', '--header', 'x-team=billing', '--json'));
    const brokenText = await cli('subscriptions', 'create', '--url', broken.url, '--event-types', 'order.created,refund.*');
    const listed = jsonOf(await cli('subscriptions', 'list', '--json'));
    const table = await cli('subscriptions', 'list');
    const shown = await cli('subscriptions', 'get', created.id);

    // Assess
    expect(created).toMatchObject({ url: healthy.url, eventTypes: ['order.*'], headers: { 'x-team': 'billing' }, enabled: true });
    expect(created.secret).toMatch(/^whsec_/);
    expect(brokenText.stdout).toMatch(/^secret: +whsec_\S+$/m);
    expect(brokenText.stdout).not.toContain('Store the secret now');
    expect(brokenText.stderr).toBe('Store the secret now: it is shown only once.\n');
    healthyId = created.id;
    healthySecret = created.secret;
    brokenId = /^id: +(sub_\S+)$/m.exec(brokenText.stdout)![1]!;
    expect(listed.items.map((item: { id: string }) => item.id)).toEqual([healthyId, brokenId]);
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +STATE +CIRCUIT +EVENT TYPES +URL +DESCRIPTION$/);
    expect(table.stdout).toMatch(new RegExp(`^${healthyId} +enabled +closed +order\\.\\* +${healthy.url.replace(/[.]/g, '\\.')} +orders$`, 'm'));
    expect(shown.stdout).toMatch(/^headers: +x-team: billing$/m);
    expect(shown.stdout).not.toContain('whsec_');
  });

  it('sends an event that tail shows delivered to one endpoint and exhausted at the other', async () => {
    // Prepare: tail runs before the event exists, as an operator would start it. Its window starts
    // now, stated, since the child's own start time comes later on a busy machine.
    tail = spawnCli(runtime!.process.stateFile, ['tail', '--json', '--interval', '1', '--since', new Date().toISOString()]);

    // Act
    const accepted = jsonOf(await cli('events', 'send', '--type', 'order.created', '--data', '{"orderId":"o-1"}', '--idempotency-key', 'order-o-1', '--json'));
    eventId = accepted.id;
    await waitFor(
      () => {
        const records = tail!.lines().map((line) => JSON.parse(line) as { eventId: string; subscriptionId: string; status: string });
        const of = (id: string) => records.filter((record) => record.eventId === eventId && record.subscriptionId === id).at(-1)?.status;
        return of(healthyId) === 'delivered' && of(brokenId) === 'exhausted' ? records : undefined;
      },
      { timeoutMs: 30_000, description: () => `tail lines\n${tail!.lines().join('\n')}\n${tail!.stderr()}` },
    );
    const code = await tail.interrupt();
    tail = undefined;

    // Assess
    expect(accepted.type).toBe('order.created');
    expect(code).toBe(0);
    expect(healthy.requests).toHaveLength(1);
    expect(Receiver.verify(healthy.requests[0]!, healthySecret)).toMatchObject({ type: 'order.created', data: { orderId: 'o-1' } });
    expect(healthy.requests[0]!.headers['x-team']).toBe('billing');
    expect(broken.requests).toHaveLength(2);
  });

  it("shows the event's deliveries as a summary and a table", async () => {
    // Act
    const event = jsonOf(await cli('events', 'get', eventId, '--json'));
    const summary = await cli('events', 'get', eventId);
    const table = await cli('events', 'deliveries', eventId);

    // Assess
    expect(event.deliveries).toEqual({ delivered: 1, exhausted: 1, complete: true });
    expect(summary.stdout).toMatch(/^deliveries: +delivered 1, exhausted 1$/m);
    expect(table.stdout.split('\n')[0]).toMatch(/^EVENT +SUBSCRIPTION +TYPE +STATUS +ATTEMPTS +LAST +LAST ATTEMPT +NEXT ATTEMPT$/);
    expect(table.stdout).toMatch(new RegExp(`^${eventId} +${healthyId} +order\\.created +delivered +1 +200 in \\d+ ms `, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^${eventId} +${brokenId} +order\\.created +exhausted +2 +500 server_error `, 'm'));
  });

  it('sends data as written, with --data and --data-file, and events get shows it as written', async () => {
    // Prepare: numbers JSON.parse would round (a big integer, a long decimal, an exponent past a double)
    const inline = '{"id":12345678901234567890,"price":0.1000000000000000055511151231257827,"distance":1e400}';
    const fromFile = '{\n  "id": 98765432109876543210,\n  "ratio": 1.50000000000000000001,\n  "tiny": 1E-400\n}';
    const receiver = await receivers.start();
    const directory = await mkdtemp(join(tmpdir(), 'cli-data-'));
    const dataFile = join(directory, 'payload.json');
    await writeFile(dataFile, `\n${fromFile}\n`);
    const subscription = jsonOf(await cli('subscriptions', 'create', '--url', receiver.url, '--event-types', 'quote.priced', '--json'));
    const dataOf = (text: string) => memberText(text, readJsonStructure(text), 'data');
    /** What the human view shows after its last label, `data:`. */
    const shownData = (stdout: string) => stdout.replace(/^[\s\S]*?\ndata: +/, '');

    // Act
    const sentInline = jsonOf(await cli('events', 'send', '--type', 'quote.priced', '--data', inline, '--json'));
    const sentFromFile = jsonOf(await cli('events', 'send', '--type', 'quote.priced', '--data-file', dataFile, '--json'));
    await rm(directory, { recursive: true });
    await waitFor(() => receiver.requests.length === 2, { timeoutMs: 20_000, description: 'both deliveries' });
    const shownJson = await cli('events', 'get', sentInline.id, '--json');
    const shown = await cli('events', 'get', sentInline.id);
    const shownFromFileJson = await cli('events', 'get', sentFromFile.id, '--json');
    const shownFromFile = await cli('events', 'get', sentFromFile.id);

    // Assess
    const delivered = new Map(receiver.requests.map((request) => [request.headers['webhook-id'], request]));
    expect(Receiver.verify(delivered.get(sentInline.id)!, subscription.secret)).toMatchObject({ type: 'quote.priced' });
    expect(dataOf(delivered.get(sentInline.id)!.body)).toBe(inline);
    expect(dataOf(delivered.get(sentFromFile.id)!.body)).toBe(fromFile);
    expect(shownJson.code, shownJson.stderr).toBe(0);
    expect(dataOf(shownJson.stdout.trim())).toBe(inline);
    expect(shownData(shown.stdout)).toBe(`${inline}\n`);
    expect(dataOf(shownFromFileJson.stdout.trim())).toBe(fromFile);
    expect(shownData(shownFromFile.stdout)).toBe(`${fromFile}\n`);
  });

  it('recovers the exhausted delivery once the endpoint is fixed, and replays to one subscription with the same webhook-id', async () => {
    // Prepare
    broken.respondWith(() => ({ status: 204 }));

    // Act
    const recovery = jsonOf(await cli('recover', brokenId, '--since', '10m', '--json'));
    const replay = await cli('events', 'replay', eventId, '--subscription', healthyId);
    await waitFor(() => broken.requests.length === 3 && healthy.requests.length === 2, { timeoutMs: 20_000, description: 'the recovered and the replayed delivery' });

    // Assess
    expect(recovery).toMatchObject({ subscriptionId: brokenId });
    expect(recovery.recoveryId).toMatch(/^run_/);
    expect(replay.stdout).toMatch(new RegExp(`^replaying ${eventId} \\(run_\\S+\\) to ${healthyId}$`, 'm'));
    expect(healthy.requests[1]!.headers['webhook-id']).toBe(eventId);
    expect(broken.requests[2]!.headers['webhook-id']).toBe(eventId);
  });

  it('disables and re-enables, rotates the secret, and deletes', async () => {
    // Act
    const disabled = jsonOf(await cli('subscriptions', 'update', healthyId, '--enabled', 'false', '--rate-limit', '5', '--json'));
    const enabled = await cli('subscriptions', 'update', healthyId, '--enabled', 'true', '--rate-limit', 'none', '--clear-description');
    const rotated = jsonOf(await cli('subscriptions', 'rotate-secret', healthyId, '--json'));
    const deleted = await cli('subscriptions', 'delete', brokenId);
    const gone = await cli('subscriptions', 'get', brokenId);

    // Assess
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'disabled_by_user', rateLimitPerSecond: 5 });
    expect(enabled.stdout).toMatch(/^state: +enabled$/m);
    expect(enabled.stdout).not.toMatch(/^(description|rate limit):/m);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(healthySecret);
    expect(deleted).toMatchObject({ code: 0, stdout: `deleted ${brokenId}\n` });
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/^error: 404 not_found: /);
  });

  it('puts consumers and lists and shows them, a page at a time or all', async () => {
    // Act
    const put = jsonOf(await cli('consumers', 'put', 'cus_acme', '--name', 'Acme', '--metadata', 'plan=pro', '--metadata', 'region=eu', '--json'));
    const other = await cli('consumers', 'put', 'cus_globex');
    const listed = jsonOf(await cli('consumers', 'list', '--json'));
    const firstPage = await cli('consumers', 'list', '--limit', '1');
    const everyPage = await cli('consumers', 'list', '--all');
    const shown = await cli('consumers', 'get', 'cus_acme');

    // Assess
    expect(put).toMatchObject({ id: 'cus_acme', name: 'Acme', metadata: { plan: 'pro', region: 'eu' } });
    expect(other.stdout).toMatch(/^id: +cus_globex$/m);
    expect(listed.items.map((item: { id: string }) => item.id)).toEqual(['cus_acme', 'cus_globex']);
    expect(firstPage.stdout.split('\n')[0]).toMatch(/^ID +NAME +METADATA +CREATED$/);
    expect(firstPage.stdout).toMatch(/^cus_acme +Acme +plan=pro, region=eu +\S+$/m);
    expect(firstPage.stdout).not.toContain('cus_globex');
    expect(firstPage.stderr).toMatch(/^more: --cursor \S+\n$/);
    expect(everyPage.stdout).toMatch(/^cus_globex/m);
    expect(everyPage.stderr).toBe('');
    expect(shown.stdout).toMatch(/^name: +Acme$/m);
    expect(shown.stdout).toMatch(/^metadata: +plan=pro, region=eu$/m);
  });

  it("subscribes a consumer's endpoints, lists them, and sends the consumer an event that only they get, printing what it matched", async () => {
    // Prepare
    const tenantReceiver = await receivers.start();
    consumerReceiver = await receivers.start();

    // Act
    const subscribed = jsonOf(await cli('subscriptions', 'create', '--url', consumerReceiver.url, '--event-types', 'invoice.*', '--consumer', 'cus_acme', '--json'));
    const second = jsonOf(await cli('subscriptions', 'create', '--url', consumerReceiver.url, '--event-types', 'refund.*', '--consumer', 'cus_acme', '--json'));
    const tenantOwn = jsonOf(await cli('subscriptions', 'create', '--url', tenantReceiver.url, '--event-types', 'invoice.*', '--json'));
    const ownSubscriptions = jsonOf(await cli('consumers', 'subscriptions', 'cus_acme', '--json'));
    const ownTable = await cli('consumers', 'subscriptions', 'cus_acme', '--limit', '1');
    const subscriptionShown = await cli('subscriptions', 'get', subscribed.id);
    const sent = await cli('events', 'send', '--type', 'invoice.paid', '--data', '{"invoice":"in_42"}', '--consumer', 'cus_acme');
    const sentToOne = jsonOf(await cli('events', 'send', '--type', 'invoice.paid', '--data', '{"invoice":"in_43"}', '--consumer', 'cus_acme', '--subscription', subscribed.id, '--json'));
    await waitFor(() => consumerReceiver.requests.length === 2, { timeoutMs: 20_000, description: "both deliveries to the consumer's endpoint" });
    consumerSubscriptionId = subscribed.id;
    await cli('subscriptions', 'delete', tenantOwn.id);

    // Assess
    expect(subscribed.consumerId).toBe('cus_acme');
    expect(ownSubscriptions.items.map((item: { id: string }) => item.id)).toEqual([subscribed.id, second.id]);
    expect(ownTable.stdout).toMatch(new RegExp(`^${subscribed.id} +enabled +closed +invoice\\.\\* `, 'm'));
    expect(ownTable.stderr).toMatch(/^more: --cursor \S+\n$/);
    expect(subscriptionShown.stdout).toMatch(/^consumer: +cus_acme$/m);
    expect(sent.stdout).toMatch(new RegExp(`^accepted evt_\\S+ \\(invoice\\.paid\\) at \\S+\nmatched 1 subscription: ${subscribed.id}\n$`));
    expect(sentToOne.matched).toEqual({ count: 1, subscriptionIds: [subscribed.id] });
    expect(consumerReceiver.requests.map((request) => (Receiver.verify(request, subscribed.secret) as { data: unknown }).data)).toEqual(
      expect.arrayContaining([{ invoice: 'in_42' }, { invoice: 'in_43' }]),
    );
    expect(tenantReceiver.requests).toHaveLength(0);
  });

  it("disables a consumer's subscriptions, so an event sent to it matches none, and enables them again, saying how many each changed", async () => {
    // Act
    const disabled = await cli('consumers', 'disable', 'cus_acme');
    const disabledAgain = jsonOf(await cli('consumers', 'disable', 'cus_acme', '--json'));
    const listedWhileDisabled = jsonOf(await cli('consumers', 'subscriptions', 'cus_acme', '--json'));
    const sentWhileDisabled = jsonOf(await cli('events', 'send', '--type', 'invoice.paid', '--data', '{}', '--consumer', 'cus_acme', '--json'));
    const enabled = await cli('consumers', 'enable', 'cus_acme');
    const enabledAgain = jsonOf(await cli('consumers', 'enable', 'cus_acme', '--json'));
    const sentAfterEnable = jsonOf(await cli('events', 'send', '--type', 'invoice.paid', '--data', '{}', '--consumer', 'cus_acme', '--json'));
    const notAConsumer = await cli('consumers', 'disable', 'cus_nobody');

    // Assess
    expect(disabled).toMatchObject({ code: 0, stdout: 'disabled 2 subscriptions of cus_acme\n' });
    expect(disabledAgain).toEqual({ subscriptionsDisabled: 0, subscriptionsDisabledForOtherReasons: 0 });
    expect(listedWhileDisabled.items.map((item: { enabled: boolean; disabledReason?: string }) => [item.enabled, item.disabledReason])).toEqual([
      [false, 'consumer_disabled'],
      [false, 'consumer_disabled'],
    ]);
    expect(sentWhileDisabled.matched).toEqual({ count: 0, subscriptionIds: [] });
    expect(enabled).toMatchObject({ code: 0, stdout: 'enabled 2 subscriptions of cus_acme\n' });
    expect(enabledAgain).toEqual({ subscriptionsEnabled: 0, subscriptionsDisabledForOtherReasons: 0 });
    expect(sentAfterEnable.matched).toEqual({ count: 1, subscriptionIds: [consumerSubscriptionId] });
    expect(notAConsumer.code).toBe(3);
    expect(notAConsumer.stderr).toMatch(/^error: 404 consumer_not_found: /);
  });

  it('deletes a consumer with its subscriptions, saying how many went, and refuses a consumer that is not there', async () => {
    // Act
    const deleted = await cli('consumers', 'delete', 'cus_acme');
    const deletedJson = jsonOf(await cli('consumers', 'delete', 'cus_globex', '--json'));
    const gone = await cli('consumers', 'get', 'cus_acme');
    const subscriptionGone = await cli('subscriptions', 'get', consumerSubscriptionId);
    const notAConsumer = await cli('subscriptions', 'create', '--url', consumerReceiver.url, '--event-types', '*', '--consumer', 'cus_nobody');

    // Assess
    expect(deleted).toMatchObject({ code: 0, stdout: 'deleted cus_acme and its 2 subscriptions\n' });
    expect(deletedJson).toEqual({ deleted: true, subscriptionsDeleted: 0 });
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/^error: 404 consumer_not_found: /);
    expect(subscriptionGone.code).toBe(3);
    expect(notAConsumer.code).toBe(3);
    expect(notAConsumer.stderr).toMatch(/^error: 404 consumer_not_found: /);
  });

  it('exits 2 for a usage error, 4 for a refused key and 5 for a request the API refuses, with one line on stderr', async () => {
    // Act
    const usage = await cli('subscriptions', 'create', '--event-types', '*');
    const badData = await cli('events', 'send', '--type', 'a', '--data', '{not json');
    const nothingToChange = await cli('subscriptions', 'update', healthyId);
    const badKey = await cli('subscriptions', 'list', '--api-key', 'wfk_not_a_key');
    const refused = await cli('subscriptions', 'create', '--url', 'ftp://example.com/x', '--event-types', '*');
    const badTime = await cli('recover', healthyId, '--since', 'yesterday');
    const noKey = await runCliProcess(['subscriptions', 'list', '--api-url', runtime!.baseUrl]);
    const notTaken = await cli('keys', 'generate', '--json');

    // Assess
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("required option '--url <url>' not specified");
    expect(badData.code).toBe(2);
    expect(badData.stderr).toContain('the data is not JSON');
    expect(nothingToChange.code).toBe(2);
    expect(badKey.code).toBe(4);
    expect(badKey.stderr).toMatch(/^error: 401 unauthorized: .+\n$/);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/^error: 422 \w+: .+\n$/);
    expect(badTime.code).toBe(2);
    expect(noKey).toMatchObject({ code: 4, stdout: '', stderr: 'error: no API key: set WEBHOOK_FANOUT_API_KEY (or pass --api-key)\n' });
    expect(notTaken.code).toBe(2);
    expect(notTaken.stderr).toMatch(/^error: generate does not take --json\n/);
  });

  it('takes the global options before the command, between its words or after it', async () => {
    // Act: --local (which runCli puts first) and these all before the command, as a user may write them
    const before = await cli('--api-key', runtime!.apiKey, '--api-url', runtime!.baseUrl, '--json', 'events', 'send', '--type', 'note.added', '--data', '{}');
    const between = await cli('subscriptions', '--api-key', 'wfk_not_a_key', 'list');
    const after = await cli('subscriptions', 'list', '--json', '--api-key', 'wfk_not_a_key');

    // Assess
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({ id: expect.stringMatching(/^evt_/), type: 'note.added' });
    expect(between.code).toBe(4);
    expect(between.stderr).toMatch(/^error: 401 unauthorized: /);
    expect(after.code).toBe(4);
  });
});
