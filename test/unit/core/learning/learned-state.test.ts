// Learned state: the ridge posterior after hand-computed events, exact and order-independent
// folding, invalid events skipped, the stored form's schema, and the fallback context vector.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  armEstimate,
  CONTEXT_DIM,
  compileLearnedState,
  contextVector,
  emptyLearnedState,
  foldEvents,
  LearnedStateSchema,
} from '../../../../layers/core/src/index.ts';
import type { RequestFeatures } from '../../../../layers/core/src/understanding/features.types.ts';

describe('learned state', () => {
  it('one event at x = [1, 0.5], reward 0.9 over prior 0.5: θ = [8/45, 4/45], width √(5/9)', () => {
    const { state, folded } = foldEvents(
      emptyLearnedState(0, 2),
      [{ arm: 'm@v1', x: [1, 0.5], prior: 0.5, reward: 0.9 }],
      7,
    );
    expect(folded).toBe(1);
    expect(state.arms['m@v1']).toEqual({ n: 1, xx: [1, 0.5, 0.25], xr: [0.4, 0.2] });
    expect(state.events).toBe(1);
    expect(state.updated_at).toBe(7);
    const c = compileLearnedState(state);
    expect(c.theta[0]).toBeCloseTo(8 / 45, 12);
    expect(c.theta[1]).toBeCloseTo(4 / 45, 12);
    // A⁻¹ = [[1.25, −0.5], [−0.5, 2]] / 2.25
    expect(Array.from(c.ainv).map((v) => Number(v.toFixed(12)))).toEqual(
      [1.25 / 2.25, -0.5 / 2.25, -0.5 / 2.25, 2 / 2.25].map((v) => Number(v.toFixed(12))),
    );
    const e = armEstimate(c, 0, [1, 0.5]);
    expect(e.residual).toBeCloseTo(2 / 9, 12);
    expect(e.width).toBeCloseTo(Math.sqrt(5 / 9), 12);
  });

  it('an arm without state estimates its prior (residual 0) with width |x| / √ridge', () => {
    expect(armEstimate(undefined, -1, [1, 0.5])).toEqual({ residual: 0, width: Math.sqrt(1.25) });
    const c = compileLearnedState(emptyLearnedState(0, 2, 4));
    expect(armEstimate(c, -1, [2, 0])).toEqual({ residual: 0, width: 1 });
  });

  it('converges to the true residual: 400 events at quality 0.8 over prior 0.5 give 0.3 · 400/401', () => {
    const events = Array.from({ length: 400 }, () => ({ arm: 'a', x: [1], prior: 0.5, reward: 0.8 }));
    const c = compileLearnedState(foldEvents(emptyLearnedState(0, 1), events, 0).state);
    expect(c.theta[0]).toBeCloseTo((0.3 * 400) / 401, 12);
    expect(c.count[0]).toBe(400);
  });

  it('skips events of the wrong length, non-finite numbers or rewards outside 0..1', () => {
    const bad = [
      { arm: 'a', x: [1], prior: 0.5, reward: 0.5 },
      { arm: 'a', x: [1, Number.NaN], prior: 0.5, reward: 0.5 },
      { arm: 'a', x: [1, 0], prior: Number.POSITIVE_INFINITY, reward: 0.5 },
      { arm: 'a', x: [1, 0], prior: 0.5, reward: 1.01 },
      { arm: 'a', x: [1, 0], prior: 0.5, reward: -0.01 },
    ];
    const edge = [
      { arm: 'a', x: [1, 0], prior: 0.5, reward: 0 },
      { arm: 'a', x: [1, 0], prior: 0.5, reward: 1 },
    ];
    const r = foldEvents(emptyLearnedState(0, 2), [...bad, ...edge], 0);
    expect(r.skipped).toBe(5);
    expect(r.folded).toBe(2);
    expect(r.state.arms.a?.xr).toEqual([0, 0]);
  });

  it('does not modify the state it folds into', () => {
    const base = foldEvents(emptyLearnedState(0, 1), [{ arm: 'a', x: [1], prior: 0, reward: 1 }], 0).state;
    const copy = structuredClone(base);
    foldEvents(base, [{ arm: 'a', x: [1], prior: 0, reward: 0.5 }], 1);
    expect(base).toEqual(copy);
  });

  it('property: folding is order-independent and splits (fold(a ++ b) = fold(fold(a), b))', () => {
    const arbEvent = fc.record({
      arm: fc.constantFrom('a', 'b', 'c'),
      x: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
      prior: fc.double({ min: 0, max: 1, noNaN: true }),
      reward: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 40 }), fc.nat(40), (events, cut) => {
        const whole = compileLearnedState(foldEvents(emptyLearnedState(0, 3), events, 0).state);
        const first = foldEvents(emptyLearnedState(0, 3), events.slice(0, cut), 0).state;
        const split = compileLearnedState(foldEvents(first, events.slice(cut), 0).state);
        const reversed = compileLearnedState(
          foldEvents(emptyLearnedState(0, 3), [...events].reverse(), 0).state,
        );
        for (const other of [split, reversed]) {
          expect(other.arms).toEqual(whole.arms);
          for (const [i, v] of other.theta.entries()) expect(v).toBeCloseTo(whole.theta[i] as number, 9);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('the stored form round-trips through its schema; statistics of the wrong size are refused', () => {
    const s = foldEvents(
      emptyLearnedState(5, 2),
      [{ arm: 'm@v1', x: [1, 0], prior: 0.5, reward: 1 }],
      9,
    ).state;
    expect(LearnedStateSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
    const broken = { ...s, arms: { 'm@v1': { n: 1, xx: [1, 0], xr: [0.5, 0] } } };
    expect(LearnedStateSchema.safeParse(broken).success).toBe(false);
    // A state stored before the incremental refit: watermark and revision 0.
    const { watermark: _w, rev: _r, ...old } = s;
    expect(LearnedStateSchema.parse(old)).toEqual({ ...s, watermark: 0, rev: 0 });
  });

  it('a −1 weight retracts exactly what the same +1 event added; other weights are skipped', () => {
    const e = { arm: 'm@v1', x: [1, 0.5], prior: 0.5, reward: 0.25 };
    const once = foldEvents(emptyLearnedState(0, 2), [{ ...e, reward: 0.75 }], 0).state;
    const r = foldEvents(once, [e, { ...e, weight: -1 as const }, { ...e, weight: 2 as unknown as 1 }], 0);
    expect([r.folded, r.skipped, r.state.events]).toEqual([0, 1, 1]);
    expect(r.state.arms['m@v1']).toEqual(once.arms['m@v1']);
  });
});

describe('context vector', () => {
  it('without features: bias, log-scaled tokens (as complexity too), task and domain slots', () => {
    const x = contextVector(undefined, { task: 'code', prompt_tokens: 127, hints: { domain: 'legal' } });
    expect(x).toHaveLength(CONTEXT_DIM);
    expect(Array.from(x)).toEqual([1, 0.5, 0.5, 1, 0, 0, 0, 0, 1, 0]);
    const big = contextVector(undefined, { task: 'summarization', prompt_tokens: 1e9, hints: {} });
    expect(Array.from(big)).toEqual([1, 1, 1, 0, 0, 1, 0, 0, 0, 0]);
    expect(contextVector(undefined, { task: 'sentiment', prompt_tokens: 0, hints: {} })[6]).toBe(1);
  });

  it('with features: every component in [0, 1] from the matching signal', () => {
    const f: RequestFeatures = {
      tokens: 16_383,
      chars: 60_000,
      turns: 6,
      script: 'latin',
      code: 0.2,
      math: 0.4,
      questions: 6,
      steps: 2,
      tasks: { code: 0.7, translate: 0.3, summarize: 0.6, extract: 0.9 },
      domains: { legal: 0.25, medical: 0.75 },
      complexity: 1.5,
    };
    const x = contextVector(f, { task: 'chat', prompt_tokens: 5, hints: {} });
    expect(Array.from(x)).toEqual([1, 1, 1, 0.7, 0.4, 0.6, 0.9, 1, 0.75, 0.5]);
    expect(contextVector(f, { task: 'chat', prompt_tokens: 5, hints: { domain: 'x' } })[8]).toBe(1);
  });
});
