// Latency-first: lowest expected latency first (EWMA with tail, else SLO, else the neutral
// default); ties go to the higher score, then registry order.
import type { CandidateTable, SelectionStrategy } from './strategy.ts';
import { rankBy } from './strategy.ts';

/** Latency-first strategy: lowest expected latency first. */
export const latencyFirstStrategy: SelectionStrategy = {
  name: 'latency-first',
  select(t: CandidateTable, _random, limit = t.length) {
    const { latency, score } = t;
    return rankBy(
      t.length,
      limit,
      (a, b) =>
        (latency[a] as number) - (latency[b] as number) ||
        (score[b] as number) - (score[a] as number) ||
        a - b,
    );
  },
};
