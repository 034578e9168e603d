// Weighted random: the shared contract, then shares (score x endpoint weight) converging over
// many seeded draws, zero shares last, and the endpoint weight multiplying the share.
import { describe, expect, it } from 'vitest';
import { seededRandom, weightedShare, weightedStrategy } from '../../../../layers/core/src/index.ts';
import { candidate, tableOf } from '../fixtures.ts';
import { strategyContract } from '../strategy.contract.ts';

strategyContract(() => weightedStrategy);

/** Pearson chi-square statistic of observed counts against expected probabilities. */
function chiSquare(observed: readonly number[], probabilities: readonly number[], total: number): number {
  return observed.reduce((acc, o, i) => {
    const e = (probabilities[i] as number) * total;
    return acc + (o - e) ** 2 / e;
  }, 0);
}

describe('weighted strategy', () => {
  it('draws the primary in proportion to score x weight over 20k seeded draws (chi-square)', () => {
    const cs = [
      candidate({ score: 0.9, weight: 1 }),
      candidate({ score: 0.5, weight: 1 }),
      candidate({ score: 0.5, weight: 2 }),
      candidate({ score: 0.2, weight: 1 }),
      candidate({ score: 0.7, weight: 0.5 }),
    ];
    const shares = cs.map((c) => weightedShare(c.score, c.weight));
    const total = shares.reduce((a, b) => a + b, 0);
    const probabilities = shares.map((s) => s / total);
    const counts = new Array<number>(cs.length).fill(0);
    const random = seededRandom(42);
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const first = weightedStrategy.select(tableOf(cs), random, 1).order[0] as number;
      counts[first] = (counts[first] as number) + 1;
    }
    // df = 4; the 0.999 quantile of chi-square(4) is 18.47.
    expect(chiSquare(counts, probabilities, n)).toBeLessThan(18.47);
  });

  it('draws the second position from what is left, in proportion again', () => {
    const cs = [candidate({ score: 0.8 }), candidate({ score: 0.4 }), candidate({ score: 0.4 })];
    const random = seededRandom(9);
    let secondIsOneGivenFirstIsZero = 0;
    let firstIsZero = 0;
    for (let i = 0; i < 20_000; i++) {
      const { order } = weightedStrategy.select(tableOf(cs), random);
      if (order[0] === 0) {
        firstIsZero++;
        if (order[1] === 1) secondIsOneGivenFirstIsZero++;
      }
    }
    expect(secondIsOneGivenFirstIsZero / firstIsZero).toBeCloseTo(0.5, 1);
  });

  it('puts zero-weight candidates last and never spends a draw on them', () => {
    const cs = [
      candidate({ weight: 0 }),
      candidate({ weight: 1 }),
      candidate({ weight: 0 }),
      candidate({ weight: 3 }),
    ];
    const s = weightedStrategy.select(tableOf(cs), seededRandom(1));
    expect(s.order.slice(2)).toEqual([0, 2]);
    expect(s.draws).toHaveLength(1);
  });

  it('lets the endpoint weight multiply the share', () => {
    expect(weightedShare(0.5, 3)).toBeCloseTo(1.5);
    expect(weightedShare(0, 2)).toBeGreaterThan(0);
    expect(weightedShare(0.9, 0)).toBe(0);
  });

  it('maps each draw to the candidate whose cumulative share it falls in', () => {
    const cs = [candidate({ score: 0.25 }), candidate({ score: 0.75 })];
    expect(weightedStrategy.select(tableOf(cs), () => 0.2).order[0]).toBe(0);
    expect(weightedStrategy.select(tableOf(cs), () => 0.3).order[0]).toBe(1);
  });
});
