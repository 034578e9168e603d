// λ solving (bisection on the greedy choices' quality or cost), the refit that folds events and
// stores the solved λ, and the off-policy estimators on hand-computed logs.
import { describe, expect, it } from 'vitest';
import type { LoggedSample, Policy } from '../../../../layers/core/src/index.ts';
import {
  doublyRobustEstimate,
  emptyLearnedState,
  ipsEstimate,
  MAX_LAMBDA,
  PolicySchema,
  refitLearnedState,
  snipsEstimate,
  solveLambda,
} from '../../../../layers/core/src/index.ts';

/** A at quality 0.9 for $1, B at 0.7 for $0.1: greedy switches to B above λ = 0.2 / 0.9. */
const CONTEXTS = [
  {
    x: [1],
    candidates: [
      { arm: 'a@v1', prior: 0.9, cost: 1 },
      { arm: 'b@v1', prior: 0.7, cost: 0.1 },
    ],
  },
];
const SWITCH = 0.2 / 0.9;

describe('solveLambda', () => {
  it('quality floor: the largest λ that keeps the floor', () => {
    expect(solveLambda(CONTEXTS, undefined, { quality_floor: 0.8 })).toBeCloseTo(SWITCH, 9);
    expect(solveLambda(CONTEXTS, undefined, { quality_floor: 0.9 })).toBeCloseTo(SWITCH, 9);
    expect(solveLambda(CONTEXTS, undefined, { quality_floor: 0.95 })).toBe(0);
    expect(solveLambda(CONTEXTS, undefined, { quality_floor: 0.7 })).toBe(MAX_LAMBDA);
  });

  it('target cost: the smallest λ that keeps to it', () => {
    expect(solveLambda(CONTEXTS, undefined, { target_cost_usd: 0.5 })).toBeCloseTo(SWITCH, 9);
    expect(solveLambda(CONTEXTS, undefined, { target_cost_usd: 1 })).toBe(0);
    expect(solveLambda(CONTEXTS, undefined, { target_cost_usd: 0.09 })).toBe(MAX_LAMBDA);
  });

  it('no context (or none with candidates): nothing to solve', () => {
    expect(solveLambda([], undefined, { quality_floor: 0.5 })).toBeUndefined();
    expect(solveLambda([{ x: [1], candidates: [] }], undefined, { quality_floor: 0.5 })).toBeUndefined();
  });
});

describe('refitLearnedState', () => {
  const policy = (learning: Record<string, number>): Policy =>
    PolicySchema.parse({ name: 'auto', strategy: 'learned', learning });

  it('folds the events and stores λ for a policy with a floor; keeps λ of policies not solved', () => {
    const start = { ...emptyLearnedState(0, 1), lambda: { other: 2 } };
    const r = refitLearnedState({
      state: start,
      events: [{ arm: 'a@v1', x: [1], prior: 0.9, reward: 0.9 }],
      contexts: new Map([['auto', CONTEXTS]]),
      policies: [policy({ quality_floor: 0.8 })],
      now: 50,
    });
    expect(r.folded).toBe(1);
    expect(r.state.events).toBe(1);
    expect(r.state.updated_at).toBe(50);
    expect(r.lambda.auto).toBeCloseTo(SWITCH, 9);
    expect(r.state.lambda.other).toBe(2);
  });

  it('a static policy in shadow mode gets its λ solved too', () => {
    const r = refitLearnedState({
      state: emptyLearnedState(0, 1),
      events: [],
      contexts: new Map([['auto', CONTEXTS]]),
      policies: [
        PolicySchema.parse({
          name: 'auto',
          strategy: 'weighted',
          learning: { quality_floor: 0.8, shadow: true },
        }),
      ],
      now: 1,
    });
    expect(r.lambda.auto).toBeCloseTo(SWITCH, 9);
  });

  it('a policy without a target, or not learned, gets no solved λ', () => {
    const r = refitLearnedState({
      state: emptyLearnedState(0, 1),
      events: [],
      contexts: new Map([['auto', CONTEXTS]]),
      policies: [policy({ lambda: 1 }), PolicySchema.parse({ name: 'auto', strategy: 'weighted' })],
      now: 1,
    });
    expect(r.lambda).toEqual({});
    expect(r.state.lambda).toEqual({});
  });

  it('the policy schema refuses both targets at once', () => {
    expect(
      PolicySchema.safeParse({
        name: 'p',
        strategy: 'learned',
        learning: { quality_floor: 0.8, target_cost_usd: 0.01 },
      }).success,
    ).toBe(false);
    expect(PolicySchema.safeParse({ name: 'p', learning: { explore: 0.51 } }).success).toBe(false);
    expect(PolicySchema.parse({ name: 'p', learning: {} }).learning).toEqual({
      lambda: 0.5,
      explore: 0.05,
      shadow: false,
    });
  });
});

describe('off-policy estimators', () => {
  const LOG: LoggedSample[] = [
    { reward: 1, propensity: 0.5, target: 1, modelLogged: 0.8, modelTarget: 0.8 },
    { reward: 0, propensity: 0.25, target: 0, modelLogged: 0.5, modelTarget: 0.9 },
  ];
  const Z = 1.959963984540054;

  it('IPS: mean of w·r = (2 + 0) / 2, sd 1.414, effective n 1', () => {
    const e = ipsEstimate(LOG);
    expect(e.value).toBe(1);
    expect(e.low).toBeCloseTo(1 - Z, 12);
    expect(e.high).toBeCloseTo(1 + Z, 12);
    expect(e).toMatchObject({ n: 2, effective_n: 1 });
  });

  it('DR: mean of (0.8 + 2 · 0.2, 0.9 + 0) = 1.05 ± z · 0.15', () => {
    const e = doublyRobustEstimate(LOG);
    expect(e.value).toBeCloseTo(1.05, 12);
    expect(e.low).toBeCloseTo(1.05 - Z * 0.15, 12);
    expect(e.high).toBeCloseTo(1.05 + Z * 0.15, 12);
  });

  it('SNIPS: Σ w r / Σ w = 1; no weight at all gives NaN', () => {
    expect(snipsEstimate(LOG).value).toBe(1);
    const none = snipsEstimate([{ ...(LOG[1] as LoggedSample) }]);
    expect(none.value).toBeNaN();
    expect(none.n).toBe(1);
  });

  it('an empty log estimates NaN with n 0; a zero propensity contributes no weight', () => {
    expect(ipsEstimate([])).toMatchObject({ n: 0, effective_n: 0 });
    expect(ipsEstimate([]).value).toBeNaN();
    const e = ipsEstimate([{ reward: 1, propensity: 0, target: 1, modelLogged: 0, modelTarget: 0 }]);
    expect(e.value).toBe(0);
  });
});
