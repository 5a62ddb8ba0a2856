/** The delivery throughput workload of the targets, shared by the benchmark and its worker process. */

/** Where the receiver listens; set by the benchmark for its worker only. */
export const RECEIVER_URL_VARIABLE = 'BENCH_RECEIVER_URL';

/** At least 10,000 requests per run, concurrency 10, 1 KB bodies, median of 5 runs. */
export const REQUESTS_PER_RUN = 10_000;
export const RUNS = 5;
export const CONCURRENCY = 10;
export const BODY_BYTES = 1024;

/**
 * The clients measured side by side. `handler` gets one group message of CONCURRENCY subscriptions
 * per invocation (an event at fan-out 10, the common case); `handlerSingles` gets CONCURRENCY group
 * messages of one subscription each (events at fan-out 1, the handler's least efficient shape).
 */
export const CONTENDERS = ['bareClient', 'handler', 'handlerSingles', 'core'] as const;
export type Contender = (typeof CONTENDERS)[number];

export interface RunFigures {
  requestsPerSecond: number;
  /** CPU time of the client's process (user + system) per request. */
  cpuMicrosPerRequest: number;
}

export interface DeliveryWorkerResult {
  /** Each contender's runs, in the order they ran. */
  runs: Record<Contender, RunFigures[]>;
  /** AWS calls per delivery over the handler's measured runs of one group per batch, by `Service.Operation`. */
  handlerCallsPerMessage: Record<string, number>;
  /** The same for its runs of groups of one. */
  singlesCallsPerMessage: Record<string, number>;
}
