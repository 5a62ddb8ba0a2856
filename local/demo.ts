import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { formatSetting, SETTINGS } from '../lambdas/core/settings';
import { readLocalConfig } from './local-config';
import { startLocalRuntime } from './runtime';

/**
 * `npm run demo`: the quickest tour. Starts the local pipeline, a receiver that verifies every
 * signature, subscribes it, publishes sample events (one of them to an endpoint that fails once),
 * shows what arrived and what the delivery log says, then shows two consumers (the tenant's
 * customers) each receiving only its own events.
 */
const say = (line = '') => process.stdout.write(line + '\n');

interface DemoReceiver {
  url: string;
  server: Server;
  received: string[];
  setSecret(secret: string): void;
}

const startReceiver = async (name: string, failFirst: boolean): Promise<DemoReceiver> => {
  let webhook: Webhook | undefined;
  let requests = 0;
  const received: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests += 1;
      if (failFirst && requests === 1) {
        say(`  [${name}] answering 503 to the first request, to show a retry`);
        res.writeHead(503, { 'retry-after': '1' }).end();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const event = webhook!.verify(body, {
          'webhook-id': String(req.headers['webhook-id']),
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        }) as { type: string; data: unknown };
        received.push(String(req.headers['webhook-id']));
        say(`  [${name}] signature verified: ${event.type} ${JSON.stringify(event.data)} (webhook-id ${req.headers['webhook-id']})`);
        res.writeHead(204).end();
      } catch (error) {
        say(`  [${name}] REFUSED: ${(error as Error).message}`);
        res.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    server,
    received,
    setSecret: (secret) => {
      webhook = new Webhook(secret);
    },
  };
};

const main = async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Short retries, so the demo's retry shows within seconds.
  process.env[SETTINGS.retrySchedule.env] ??= formatSetting('retrySchedule', [2, 5, 10]);
  say('Starting the local pipeline...');
  const runtime = await startLocalRuntime({
    config: readLocalConfig({ ...process.env, PORT: process.env.PORT ?? '0' }),
    log: (line) => say(`  pipeline: ${line}`),
    notice: (line) => say(`  ${line}`),
  });
  const base = `http://127.0.0.1:${runtime.port}`;
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${runtime.apiKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const receivers: DemoReceiver[] = [];
  try {
    say(`Pipeline at ${base}, API key ${runtime.apiKey}`);
    const orders = await startReceiver('orders', false);
    const billing = await startReceiver('billing', true);
    receivers.push(orders, billing);

    say('\n1. Subscribe two endpoints');
    const ordersSub = await api('POST', '/v1/subscriptions', { url: orders.url, eventTypes: ['order.*'] });
    const billingSub = await api('POST', '/v1/subscriptions', { url: billing.url, eventTypes: ['invoice.paid'] });
    orders.setSecret(ordersSub.body.secret);
    billing.setSecret(billingSub.body.secret);
    say(`  ${ordersSub.body.id} <- order.*      at ${orders.url}`);
    say(`  ${billingSub.body.id} <- invoice.paid at ${billing.url}`);

    say('\n2. Publish three events');
    const published = [];
    for (const [type, data] of [
      ['order.created', { orderId: 1001, total: '49.90' }],
      ['order.shipped', { orderId: 1001, carrier: 'DHL' }],
      ['invoice.paid', { invoiceId: 'inv_77', amount: '49.90' }],
    ] as const) {
      const response = await api('POST', '/v1/events', { type, data });
      published.push(response.body);
      say(`  ${response.status} ${response.body.id} ${type}`);
    }

    say('\n3. Deliveries (billing fails once and is retried on the schedule)');
    const deadline = Date.now() + 30_000;
    while (orders.received.length < 2 || billing.received.length < 1) {
      if (Date.now() > deadline) throw new Error('deliveries did not arrive within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    say('\n4. The delivery log');
    for (const event of published) {
      const log = await api('GET', `/v1/events/${event.id}/deliveries`);
      for (const item of log.body.items) {
        say(`  ${event.id} ${event.type.padEnd(14)} -> ${item.subscriptionId}: ${item.status} after ${item.attempts} attempt(s)`);
      }
    }
    say('\n5. Two consumers (customers of this tenant), each receiving only its own events');
    const customers = [];
    for (const consumerId of ['acme', 'globex']) {
      await api('PUT', `/v1/consumers/${consumerId}`, { name: consumerId === 'acme' ? 'Acme Corp' : 'Globex' });
      const endpoint = await startReceiver(consumerId, false);
      receivers.push(endpoint);
      const subscription = await api('POST', '/v1/subscriptions', { url: endpoint.url, eventTypes: ['order.*'], consumerId });
      endpoint.setSecret(subscription.body.secret);
      say(`  ${consumerId}: ${subscription.body.id} <- order.* at ${endpoint.url}`);
      customers.push({ consumerId, endpoint });
    }
    const sent = new Map<string, string>();
    for (const { consumerId } of customers) {
      const response = await api('POST', '/v1/events', { type: 'order.created', consumerId, data: { orderId: consumerId === 'acme' ? 2001 : 3001 } });
      sent.set(consumerId, response.body.id);
      say(`  ${response.status} ${response.body.id} order.created for ${consumerId} (matched ${response.body.matched?.count ?? '?'} subscription)`);
    }
    const consumersDeadline = Date.now() + 30_000;
    while (customers.some(({ endpoint }) => endpoint.received.length < 1)) {
      if (Date.now() > consumersDeadline) throw new Error("the consumers' deliveries did not arrive within 30 s");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Anything wrongly routed would have arrived by now: both deliveries went out together.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const { consumerId, endpoint } of customers) {
      const onlyOwn = endpoint.received.length === 1 && endpoint.received[0] === sent.get(consumerId);
      say(`  ${consumerId} received ${endpoint.received.length} event(s): ${onlyOwn ? 'only its own' : 'NOT ONLY ITS OWN'}`);
      if (!onlyOwn) throw new Error(`${consumerId} received another consumer's event`);
    }
    say(`  the tenant's own orders endpoint received ${orders.received.length - 2} of them`);
    if (orders.received.length !== 2) throw new Error("the tenant's own endpoint received a consumer's event");

    say('\nDone. `npm start` runs the same pipeline and keeps it running.');
  } finally {
    for (const receiver of receivers) receiver.server.close();
    await runtime.stop();
  }
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
