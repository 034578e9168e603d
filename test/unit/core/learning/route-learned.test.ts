// route() with a learned policy: the explanation says the propensity, λ, the exploration share
// and each candidate's estimate and uncertainty; priority leans λ and disables exploration; and
// whatever the learned state believes, no hard constraint is relaxed (a property).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LearnedState } from '../../../../layers/core/src/index.ts';
import {
  CONTEXT_DIM,
  compileLearnedState,
  contextVector,
  emptyLearnedState,
  foldEvents,
  route,
  seededRandom,
} from '../../../../layers/core/src/index.ts';
import {
  compiled,
  ctx,
  endpoint,
  model,
  NO_HEALTH,
  NOW,
  planEndpoints,
  policy,
  request,
} from '../fixtures.ts';

const REGISTRY = compiled({
  models: [
    model('small', { cost: { input_per_1k: 0.0001, output_per_1k: 0.0002 }, quality: { chat: 0.7 } }),
    model('large', { cost: { input_per_1k: 0.003, output_per_1k: 0.006 }, quality: { chat: 0.9 } }),
    model('mid', { cost: { input_per_1k: 0.001, output_per_1k: 0.002 }, quality: { chat: 0.8 } }),
  ],
  endpoints: [endpoint('small-1', 'small'), endpoint('large-1', 'large'), endpoint('mid-1', 'mid')],
  policies: [
    policy('auto', { strategy: 'learned', learning: { lambda: 0.1, explore: 0.2 } }),
    policy('thrifty', { strategy: 'learned', learning: { lambda: 2, explore: 0 } }),
  ],
});

/** A state where `arm` learned a residual of `delta` over its prior in every context. */
function stateWith(arm: string, delta: number, events = 50): LearnedState {
  const x = Array.from(contextVector(undefined, { task: 'chat', prompt_tokens: 100, hints: {} }));
  return foldEvents(
    emptyLearnedState(0),
    Array.from({ length: events }, () => ({ arm, x, prior: 0.5, reward: 0.5 + delta })),
    NOW,
  ).state;
}

describe('route with strategy learned', () => {
  it('explains the decision: propensity, λ, exploration share, context and per-candidate figures', () => {
    const d = route(request(), { registry: REGISTRY, health: NO_HEALTH }, { now: NOW, random: () => 0.5 });
    expect(d.explanation.strategy).toBe('learned');
    expect(d.plan.primary.model).toBe('large'); // λ 0.1: 0.9 − 0.1 beats 0.8 − 0.033 and 0.7 − 0.003
    expect(d.explanation.learned).toMatchObject({ explored: false, lambda: 0.1, explore: 0.2, events: 0 });
    expect(d.explanation.learned?.context).toEqual(
      Array.from(contextVector(undefined, { task: 'chat', prompt_tokens: 100, hints: {} })),
    );
    expect(d.explanation.learned?.propensity).toBeGreaterThan(0.8);
    expect(d.explanation.learned?.propensity).toBeLessThanOrEqual(1);
    const large = d.explanation.candidates.find((c) => c.model === 'large');
    expect(large?.learned?.estimate).toBe(0.9);
    expect(large?.learned?.utility).toBeCloseTo(0.8, 12);
    expect(large?.learned?.uncertainty).toBeCloseTo(
      Math.hypot(...contextVector(undefined, { task: 'chat', prompt_tokens: 100, hints: {} })),
      12,
    );
  });

  it('learned feedback moves the choice: small learned it is 0.25 better than its prior', () => {
    const learned = compileLearnedState(stateWith('small@v1', 0.25, 200));
    const d = route(
      request(),
      { registry: REGISTRY, health: NO_HEALTH, learned },
      { now: NOW, random: () => 0.5 },
    );
    expect(d.plan.primary.model).toBe('small');
    expect(d.explanation.learned?.events).toBe(200);
    const small = d.explanation.candidates.find((c) => c.model === 'small');
    expect(small?.learned?.estimate).toBeGreaterThan(0.93);
    expect(small?.learned?.uncertainty).toBeLessThan(0.1);
  });

  it('a solved λ in the state wins over the policy’s; priority high halves it and never explores', () => {
    const state = { ...emptyLearnedState(0), lambda: { auto: 3 } };
    const learned = compileLearnedState(state);
    const normal = route(request(), { registry: REGISTRY, health: NO_HEALTH, learned }, ctx(3));
    expect(normal.explanation.learned?.lambda).toBe(3);
    expect(normal.plan.primary.model).toBe('small');
    const high = route(
      request({ hints: { priority: 'high' } }),
      { registry: REGISTRY, health: NO_HEALTH, learned },
      { now: NOW, random: () => 0 },
    );
    expect(high.explanation.learned).toMatchObject({
      lambda: 1.5,
      explore: 0,
      explored: false,
      propensity: 1,
    });
    expect(high.explanation.draws).toEqual([]);
    const low = route(
      request({ hints: { priority: 'low' } }),
      { registry: REGISTRY, health: NO_HEALTH, learned },
      ctx(3),
    );
    expect(low.explanation.learned?.lambda).toBe(6);
  });

  it('a state of another context length is ignored (priors only)', () => {
    const other = foldEvents(
      emptyLearnedState(0, 2),
      [{ arm: 'small@v1', x: [1, 1], prior: 0, reward: 1 }],
      0,
    ).state;
    const d = route(
      request(),
      { registry: REGISTRY, health: NO_HEALTH, learned: compileLearnedState(other) },
      { now: NOW, random: () => 0.5 },
    );
    expect(d.plan.primary.model).toBe('large');
  });

  it('property: whatever the learned state, excluded endpoints never appear in the plan', () => {
    const arbDelta = fc.double({ min: -1, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        fc.record({ small: arbDelta, large: arbDelta, mid: arbDelta }),
        fc.constantFrom(undefined, 0.0005, 0.0015),
        fc.constantFrom<string[] | undefined>(undefined, ['small'], ['large', 'mid']),
        fc.integer(),
        (deltas, cap, allowed, seed) => {
          const x = Array.from(contextVector(undefined, { task: 'chat', prompt_tokens: 100, hints: {} }));
          const events = Object.entries(deltas).flatMap(([m, delta]) =>
            Array.from({ length: 5 }, () => ({
              arm: `${m}@v1`,
              x,
              prior: 0.5,
              reward: Math.min(1, Math.max(0, 0.5 + delta)),
            })),
          );
          const learned = compileLearnedState(foldEvents(emptyLearnedState(0), events, 0).state);
          const req = request({
            hints: cap === undefined ? {} : { max_cost_usd: cap },
            tenant: allowed === undefined ? { id: 't' } : { id: 't', allowed_models: allowed },
          });
          let d: ReturnType<typeof route>;
          try {
            d = route(
              req,
              { registry: REGISTRY, health: NO_HEALTH, learned },
              { now: NOW, random: seededRandom(seed) },
            );
          } catch {
            return; // nothing eligible: refused, never relaxed
          }
          const excluded = new Set(d.explanation.excluded.map((e) => e.endpoint));
          for (const id of planEndpoints(d.plan)) expect(excluded.has(id)).toBe(false);
          const costs = new Map(d.explanation.candidates.map((c) => [c.endpoint, c.estimated_cost_usd]));
          if (cap !== undefined)
            for (const id of planEndpoints(d.plan)) expect(costs.get(id)).toBeLessThanOrEqual(cap);
          if (allowed !== undefined) expect(allowed).toContain(d.plan.primary.model);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the context has the documented length', () => {
    expect(CONTEXT_DIM).toBe(10);
  });
});

describe('shadow mode (learning.shadow on a static policy)', () => {
  const shadowRegistry = compiled({
    models: [
      model('small', { cost: { input_per_1k: 0.0001, output_per_1k: 0.0002 }, quality: { chat: 0.7 } }),
      model('large', { cost: { input_per_1k: 0.003, output_per_1k: 0.006 }, quality: { chat: 0.9 } }),
    ],
    endpoints: [endpoint('small-1', 'small'), endpoint('large-1', 'large')],
    policies: [
      policy('auto', { strategy: 'quality-first', learning: { lambda: 2, explore: 0, shadow: true } }),
    ],
  });
  const plain = compiled({
    ...{
      models: [
        model('small', { cost: { input_per_1k: 0.0001, output_per_1k: 0.0002 }, quality: { chat: 0.7 } }),
        model('large', { cost: { input_per_1k: 0.003, output_per_1k: 0.006 }, quality: { chat: 0.9 } }),
      ],
      endpoints: [endpoint('small-1', 'small'), endpoint('large-1', 'large')],
    },
    policies: [policy('auto', { strategy: 'quality-first' })],
  });

  it('serves with the policy’s strategy and explains what the learned one would have chosen', () => {
    const d = route(request(), { registry: shadowRegistry, health: NO_HEALTH }, ctx(4));
    const without = route(request(), { registry: plain, health: NO_HEALTH }, ctx(4));
    expect(d.plan.primary.endpoint).toBe('large-1');
    expect(d.plan).toEqual({ ...without.plan });
    expect(d.explanation.draws).toEqual(without.explanation.draws);
    expect(d.explanation.strategy).toBe('quality-first');
    // λ 2: 0.7 − 2 · 0.033 beats 0.9 − 2.
    expect(d.explanation.shadow).toEqual({
      model: 'small',
      version: 'v1',
      endpoint: 'small-1',
      propensity: 1,
      explored: false,
    });
    expect(d.explanation.learned).toBeUndefined();
    expect(d.explanation.candidates.every((c) => c.learned === undefined)).toBe(true);
  });

  it('a learned policy has no shadow', () => {
    const d = route(request(), { registry: REGISTRY, health: NO_HEALTH }, ctx(4));
    expect(d.explanation.shadow).toBeUndefined();
  });
});
