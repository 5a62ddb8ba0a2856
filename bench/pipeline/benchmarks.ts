import type { Benchmark } from '../report';
import { largeFanOutBenchmark } from './large-fanout';
import { latencyBenchmark } from './latency';
import { noisyNeighbourBenchmark } from './noisy-neighbour';
import { consumersBenchmark } from './consumers';
import { costBenchmark } from './cost';
import { requestsBenchmark } from './requests-per-delivery';

/** Benchmarks of the whole pipeline in the local runtime: requests per delivery, cost, large fan-out, consumers at scale, latency, a noisy neighbour. */
export const pipelineBenchmarks: Benchmark[] = [requestsBenchmark, costBenchmark, largeFanOutBenchmark, consumersBenchmark, latencyBenchmark, noisyNeighbourBenchmark];
