// Learned: the shared contract, then hand-computed utilities, propensities and exploration draws,
// the exploration cap (a property and an empirical share), and determinism with a learning input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LearningInput, SelectionContext } from '../../../../layers/core/src/index.ts';
import {
  compileLearnedState,
  emptyLearnedState,
  foldEvents,
  learnedFigures,
  learnedPropensities,
  learnedStrategy,
  MAX_EXPLORE,
  seededRandom,
} from '../../../../layers/core/src/index.ts';
import { candidate, tableOf } from '../fixtures.ts';
import { strategyContract } from '../strategy.contract.ts';

strategyContract(() => learnedStrategy);

const learning = (over: Partial<LearningInput> = {}): SelectionContext => ({
  learning: { x: [1], arms: [], state: undefined, lambda: 0.5, explore: 0, ...over },
});

/** Two candidates: dear and good (0.8 at $1.0), cheap and nearly as good (0.7 at $0.2). */
const pair = tableOf([candidate({ quality: 0.8, cost: 1 }), candidate({ quality: 0.7, cost: 0.2 })]);
const fixed = (...us: number[]) => {
  let i = 0;
  return () => us[i++] ?? 0.5;
};

describe('learned strategy', () => {
  it('scores estimate − λ · cost / dearest: the cheap one wins at λ 0.5 (0.6 against 0.3)', () => {
    const f = learnedFigures(pair, learning().learning as LearningInput);
    expect(Array.from(f.greedy)).toEqual([0.30000000000000004, 0.6]);
    expect(Array.from(f.width)).toEqual([1, 1]);
    expect(Array.from(f.optimist)).toEqual([0.8, 1.1]);
    const s = learnedStrategy.select(pair, fixed(), undefined, learning());
    expect(s).toEqual({ order: [1, 0], draws: [], propensity: 1, explored: false });
  });

  it('at λ 0.1 the dear one wins (0.7 against 0.68)', () => {
    const s = learnedStrategy.select(pair, fixed(), undefined, learning({ lambda: 0.1 }));
    expect(s.order).toEqual([0, 1]);
  });

  it('a gate draw at or above the share does not explore; propensity adds the softmax share', () => {
    const soft1 = 1 / (1 + Math.exp(-6)); // optimistic utilities 1.1 and 0.8 at temperature 0.05
    const s = learnedStrategy.select(pair, fixed(0.1), undefined, learning({ explore: 0.1 }));
    expect(s.order).toEqual([1, 0]);
    expect(s.draws).toEqual([0.1]);
    expect(s.explored).toBe(false);
    expect(s.propensity).toBeCloseTo(0.9 + 0.1 * soft1, 12);
  });

  it('a gate draw below the share explores: the second draw samples the softmax', () => {
    const soft0 = 1 / (1 + Math.exp(6));
    const low = learnedStrategy.select(pair, fixed(0.099, 0.002), undefined, learning({ explore: 0.1 }));
    expect(low).toMatchObject({ order: [0, 1], draws: [0.099, 0.002], explored: true });
    expect(low.propensity).toBeCloseTo(0.1 * soft0, 14);
    const high = learnedStrategy.select(pair, fixed(0.099, 0.003), undefined, learning({ explore: 0.1 }));
    expect(high).toMatchObject({ order: [1, 0], explored: true });
    expect(high.propensity).toBeCloseTo(0.9 + 0.1 * (1 - soft0), 12);
  });

  it('caps the share at 0.5 and treats a negative or NaN share as none', () => {
    const capped = learnedStrategy.select(pair, fixed(0.49, 0), undefined, learning({ explore: 0.9 }));
    expect(capped.explored).toBe(true);
    const atCap = learnedStrategy.select(pair, fixed(MAX_EXPLORE, 0), undefined, learning({ explore: 0.9 }));
    expect(atCap.explored).toBe(false);
    for (const explore of [-1, Number.NaN]) {
      expect(learnedStrategy.select(pair, fixed(), undefined, learning({ explore }))).toEqual({
        order: [1, 0],
        draws: [],
        propensity: 1,
        explored: false,
      });
    }
  });

  it('reads the learned residual and width of each candidate arm', () => {
    // Arm 0 learned that the dear model is 0.3 better than its prior in this context.
    const { state } = foldEvents(
      emptyLearnedState(0, 1),
      Array.from({ length: 9 }, () => ({ arm: 'a', x: [1], prior: 0.5, reward: 0.8333333333333334 })),
      0,
    );
    const compiled = compileLearnedState(state);
    const input: LearningInput = { x: [1], arms: [0, -1], state: compiled, lambda: 0.5, explore: 0 };
    const f = learnedFigures(pair, input);
    // θ = Σ x r / (ridge + Σ x²) = 9 · (1/3) / 10 = 0.3; width √(1/10).
    expect(f.estimate[0]).toBeCloseTo(1.1, 12);
    expect(f.width[0]).toBeCloseTo(Math.sqrt(0.1), 12);
    expect(f.estimate[1]).toBe(0.7);
    expect(f.width[1]).toBe(1);
    expect(learnedStrategy.select(pair, fixed(), undefined, { learning: input }).order).toEqual([0, 1]);
  });

  it('ties on utility go to the higher score, then the lower index', () => {
    const t = tableOf([
      candidate({ quality: 0.5, score: 0.1 }),
      candidate({ quality: 0.5, score: 0.9 }),
      candidate({ quality: 0.5, score: 0.9 }),
    ]);
    expect(learnedStrategy.select(t, fixed(), undefined, learning()).order).toEqual([1, 2, 0]);
  });

  const arbInput = fc.record({
    rows: fc.array(
      fc.record({
        quality: fc.double({ min: 0, max: 1, noNaN: true }),
        cost: fc.double({ min: 0, max: 1, noNaN: true }),
        score: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      { minLength: 2, maxLength: 30 },
    ),
    lambda: fc.double({ min: 0, max: 3, noNaN: true }),
    explore: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.integer(),
  });

  it('property: propensities sum to 1, the returned one is the primary’s, and only a gate draw under the cap explores', () => {
    fc.assert(
      fc.property(arbInput, ({ rows, lambda, explore, seed }) => {
        const t = tableOf(rows.map((r) => candidate(r)));
        const ctx = learning({ lambda, explore });
        const p = learnedPropensities(t, ctx);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
        const s = learnedStrategy.select(t, seededRandom(seed), undefined, ctx);
        expect(s.propensity).toBeCloseTo(p[s.order[0] as number] as number, 12);
        const cap = Math.min(explore, MAX_EXPLORE);
        expect(s.explored).toBe(cap > 0 && (s.draws[0] as number) < cap);
        if (!s.explored)
          expect(s.order[0]).toBe(
            learnedStrategy.select(t, seededRandom(seed), undefined, learning({ lambda })).order[0],
          );
      }),
      { numRuns: 200 },
    );
  });

  it('property: the same inputs and draws give the same selection', () => {
    fc.assert(
      fc.property(arbInput, ({ rows, lambda, explore, seed }) => {
        const t = tableOf(rows.map((r) => candidate(r)));
        const a = learnedStrategy.select(t, seededRandom(seed), 5, learning({ lambda, explore }));
        const b = learnedStrategy.select(t, seededRandom(seed), 5, learning({ lambda, explore }));
        expect(b).toEqual(a);
      }),
      { numRuns: 100 },
    );
  });

  it('explores about its share of 20,000 seeded decisions, never more than share + 1 point', () => {
    const random = seededRandom(42);
    let explored = 0;
    for (let i = 0; i < 20_000; i++) {
      if (learnedStrategy.select(pair, random, 2, learning({ explore: 0.1 })).explored) explored++;
    }
    expect(explored / 20_000).toBeGreaterThan(0.09);
    expect(explored / 20_000).toBeLessThanOrEqual(0.11);
  });
});
