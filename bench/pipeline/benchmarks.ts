import type { Benchmark } from '../report';
import { largeFanOutBenchmark } from './large-fanout';
import { latencyBenchmark } from './latency';
import { noisyNeighbourBenchmark } from './noisy-neighbour';
import { costBenchmark } from './cost';
import { requestsBenchmark } from './requests-per-delivery';

/** Benchmarks of the whole pipeline in the local runtime: requests per delivery, cost, large fan-out, latency, a noisy neighbour. */
export const pipelineBenchmarks: Benchmark[] = [requestsBenchmark, costBenchmark, largeFanOutBenchmark, latencyBenchmark, noisyNeighbourBenchmark];
