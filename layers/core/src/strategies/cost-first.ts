// Cost-first: cheapest estimated cost first; ties go to the higher score, then registry order.
import type { CandidateTable, SelectionStrategy } from './strategy.ts';
import { rankBy } from './strategy.ts';

/** Cost-first strategy: cheapest estimated cost first. */
export const costFirstStrategy: SelectionStrategy = {
  name: 'cost-first',
  select(t: CandidateTable, _random, limit = t.length) {
    const { cost, score } = t;
    return rankBy(
      t.length,
      limit,
      (a, b) =>
        (cost[a] as number) - (cost[b] as number) || (score[b] as number) - (score[a] as number) || a - b,
    );
  },
};
