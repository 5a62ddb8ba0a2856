import type { Benchmark } from './report';

/** Benchmarks of the whole pipeline in the local runtime: requests per delivery, cost, large fan-out, latency. */
export const pipelineBenchmarks: Benchmark[] = [];
