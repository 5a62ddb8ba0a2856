import { Worker } from 'node:worker_threads';
import type { FromReceiver, ToReceiver } from './receiver-thread';

/** What a benchmark event carries in its data, so the receiver can tell events apart and time them. */
export interface BenchEventData {
  i: number;
  /** Epoch milliseconds when the client sent the event. */
  sentAt: number;
}

export interface ReceivedDelivery {
  webhookId: string;
  /** The `s` query parameter of the subscription's URL: which of the event's subscriptions this is. */
  subscription: number;
  data: BenchEventData;
  /** Epoch milliseconds. */
  receivedAt: number;
  /** 1 for the first attempt of this (event, subscription), 2 for its first retry... */
  attempt: number;
}

/** Decides the status of an attempt; 200 unless the benchmark wants failures. */
export type AnswerPolicy = (delivery: ReceivedDelivery) => number;

const ANSWER_200: AnswerPolicy = () => 200;

/**
 * A webhook endpoint on loopback that answers at once and records every successful delivery. One
 * server serves every subscription; each subscription's URL tells it which one it is. The server
 * runs in a worker thread of its own (`receiver-thread.ts`), so a delivery's arrival is stamped
 * when it is read, not when this process's event loop, busy with the emulated API, SQS and the
 * event sources, gets round to it: a receiver is another machine.
 */
export class BenchReceiver {
  readonly delivered: ReceivedDelivery[] = [];
  private answer: AnswerPolicy = ANSWER_200;
  /** Counts resets: a delivery the thread read before the last one is not this measurement's. */
  private measurement = 0;
  private worker: Worker | undefined;
  private base = '';

  async start(): Promise<void> {
    const worker = new Worker(new URL('./receiver-thread.mjs', import.meta.url));
    this.worker = worker;
    this.base = await new Promise<string>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (message: FromReceiver) => {
        if ('listening' in message) resolve(message.listening);
        else if ('ask' in message) this.tell({ answer: message.ask, status: this.record(message.received, this.answer(message.received)) });
        else if ('received' in message && message.measurement === this.measurement) this.record(message.received, message.status);
      });
    });
  }

  urlFor(subscription: number, path = 'hook'): string {
    return `${this.base}/${path}?s=${subscription}`;
  }

  /** Starts a new measurement: forgets what came before and answers by `policy` from now on. */
  reset(policy: AnswerPolicy = ANSWER_200): void {
    this.delivered.length = 0;
    this.answer = policy;
    this.measurement += 1;
    this.tell({ reset: this.measurement, askForStatus: policy !== ANSWER_200 });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    await new Promise<void>((resolve) => {
      worker.on('message', (message: FromReceiver) => 'closed' in message && resolve());
      this.tell({ close: true });
    });
    await worker.terminate();
  }

  private record(delivery: ReceivedDelivery, status: number): number {
    if (status >= 200 && status < 300) this.delivered.push(delivery);
    return status;
  }

  private tell(message: ToReceiver): void {
    this.worker?.postMessage(message);
  }
}
