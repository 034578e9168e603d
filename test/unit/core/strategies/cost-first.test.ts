// Cost-first: the shared contract, then cheapest first with ties broken by score.
import { describe, expect, it } from 'vitest';
import { costFirstStrategy, seededRandom } from '../../../../layers/core/src/index.ts';
import { candidate, tableOf } from '../fixtures.ts';
import { strategyContract } from '../strategy.contract.ts';

strategyContract(() => costFirstStrategy);

describe('cost-first strategy', () => {
  it('orders by estimated cost, cheapest first, ties by higher score', () => {
    const cs = [
      candidate({ cost: 0.03 }),
      candidate({ cost: 0.01, score: 0.2 }),
      candidate({ cost: 0.01, score: 0.9 }),
      candidate({ cost: 0.02 }),
    ];
    const s = costFirstStrategy.select(tableOf(cs), seededRandom(1));
    expect(s.order).toEqual([2, 1, 3, 0]);
    expect(s.draws).toEqual([]);
  });

  it('finds the cheapest among many with a partial ranking', () => {
    const cs = Array.from({ length: 1000 }, (_, i) => candidate({ cost: ((i * 7919) % 1000) / 1000 }));
    const s = costFirstStrategy.select(tableOf(cs), seededRandom(1), 5);
    expect(s.order.slice(0, 5).map((i) => cs[i]?.cost)).toEqual([0, 0.001, 0.002, 0.003, 0.004]);
  });
});
