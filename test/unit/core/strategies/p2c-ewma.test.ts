// Power of two choices over peak-EWMA: the shared contract, then the pairwise rule, the slow
// replica avoided, and the fastest replica chosen about 2/n of the time (not always).
import { describe, expect, it } from 'vitest';
import { p2cCost, p2cEwmaStrategy, seededRandom } from '../../../../layers/core/src/index.ts';
import { candidate, tableOf } from '../fixtures.ts';
import { strategyContract } from '../strategy.contract.ts';

strategyContract(() => p2cEwmaStrategy);

describe('p2c-ewma strategy', () => {
  it('keeps the lower peak-EWMA x (inflight + 1) of the two drawn', () => {
    const cs = [
      candidate({ peak: 100, inflight: 9 }), // cost 1000
      candidate({ peak: 300, inflight: 1 }), // cost 600
    ];
    expect(p2cCost(100, 9)).toBe(1000);
    const s = p2cEwmaStrategy.select(tableOf(cs), seededRandom(7));
    expect(s.order).toEqual([1, 0]);
    expect(s.draws).toHaveLength(2);
  });

  it('never makes the one slow replica of eight the primary', () => {
    const cs = Array.from({ length: 8 }, (_, i) => candidate({ peak: i === 3 ? 1000 : 100 }));
    const random = seededRandom(11);
    for (let i = 0; i < 5000; i++) {
      expect(p2cEwmaStrategy.select(tableOf(cs), random, 1).order[0]).not.toBe(3);
    }
  });

  it('spreads load: the best of n wins about 2/n of the time', () => {
    const n = 8;
    const cs = Array.from({ length: n }, (_, i) => candidate({ peak: 100 + i }));
    const random = seededRandom(5);
    let best = 0;
    const draws = 20_000;
    for (let i = 0; i < draws; i++) if (p2cEwmaStrategy.select(tableOf(cs), random, 1).order[0] === 0) best++;
    expect(best / draws).toBeGreaterThan(2 / n - 0.02);
    expect(best / draws).toBeLessThan(2 / n + 0.02);
  });
});
