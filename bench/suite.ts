import type { Benchmark } from './report';
import { pipelineBenchmarks } from './pipeline/benchmarks';
import { processBenchmarks } from './process/benchmarks';

/** Every benchmark `npm run bench` runs, in order. */
export const benchmarks: Benchmark[] = [...processBenchmarks, ...pipelineBenchmarks];
