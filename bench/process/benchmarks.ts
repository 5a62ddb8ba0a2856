import { coldStart } from './cold-start';
import { deliveryThroughput } from './delivery-throughput';
import { ingestCost } from './ingest-cost';
import type { Benchmark } from '../report';

/** Benchmarks of single functions and bundles, run without the local runtime: cold start, ingest cost, delivery throughput. */
export const processBenchmarks: Benchmark[] = [coldStart, ingestCost, deliveryThroughput];
