import type { Benchmark } from './report';

/** Benchmarks of single functions and bundles, run without the local runtime: cold start, ingest cost, delivery throughput. */
export const processBenchmarks: Benchmark[] = [];
