// Quality-first: highest quality prior for the task first; ties go to the higher score (cost,
// latency, load, health), then registry order.
import type { CandidateTable, SelectionStrategy } from './strategy.ts';
import { rankBy } from './strategy.ts';

/** Quality-first strategy: highest quality prior first. */
export const qualityFirstStrategy: SelectionStrategy = {
  name: 'quality-first',
  select(t: CandidateTable, _random, limit = t.length) {
    const { quality, score } = t;
    return rankBy(
      t.length,
      limit,
      (a, b) =>
        (quality[b] as number) - (quality[a] as number) ||
        (score[b] as number) - (score[a] as number) ||
        a - b,
    );
  },
};
