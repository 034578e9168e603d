// Plan building at its edges, with literal indexes: the ensemble defaults and triggers (the
// prompt-size threshold at exactly its value, at least two members), the fallback modes with
// too few candidates, and the timeouts: attempt = min(policy attempt, deadline) where the
// deadline is min(policy deadline, max_latency_ms).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelOf, Policy } from '../../../layers/core/src/index.ts';
import {
  ensembleSettings,
  PolicySchema,
  pickDistinctModels,
  pickFallbacks,
  route,
} from '../../../layers/core/src/index.ts';
import { compiled, ctx, endpoint, model, NO_HEALTH, policy, request } from './fixtures.ts';

const parsePolicy = (over: Record<string, unknown> = {}): Policy =>
  PolicySchema.parse({ name: 'p', match: { model: 'p' }, ...over });

/** Candidates 0..n-1 with these model ids (slot i is candidate i). */
const models = (...ids: string[]): ModelOf => ({ slot: ids.map((_, i) => i), modelIds: ids });

describe('ensembleSettings', () => {
  it('hint true or {} without a policy ensemble: 3 members, first-success', () => {
    expect(ensembleSettings(parsePolicy(), true, 0)).toEqual({ size: 3, combine: 'first-success' });
    expect(ensembleSettings(parsePolicy(), {}, 0)).toEqual({ size: 3, combine: 'first-success' });
  });

  it('a hint object overrides the policy field by field', () => {
    const p = parsePolicy({ ensemble: { size: 4, combine: 'majority-vote', min_prompt_tokens: 100 } });
    expect(ensembleSettings(p, { combine: 'best-score' }, 0)).toEqual({ size: 4, combine: 'best-score' });
    expect(ensembleSettings(p, { size: 2 }, 0)).toEqual({ size: 2, combine: 'majority-vote' });
    expect(ensembleSettings(p, true, 0)).toEqual({ size: 4, combine: 'majority-vote' });
  });

  it('the policy alone: from exactly min_prompt_tokens, or always without a threshold; false opts out', () => {
    const p = parsePolicy({ ensemble: { size: 2, min_prompt_tokens: 100 } });
    expect(ensembleSettings(p, undefined, 99)).toBeUndefined();
    expect(ensembleSettings(p, undefined, 100)).toEqual({ size: 2, combine: 'first-success' });
    expect(ensembleSettings(p, false, 100)).toBeUndefined();
    expect(ensembleSettings(parsePolicy({ ensemble: {} }), undefined, 0)).toEqual({
      size: 3,
      combine: 'first-success',
    });
    expect(ensembleSettings(parsePolicy(), undefined, 1_000_000)).toBeUndefined();
  });
});

describe('pickFallbacks', () => {
  it('nothing for count 0 or a single candidate', () => {
    expect(pickFallbacks([0, 1, 2], 3, models('a', 'a', 'b'), 0, 'same-model-first')).toEqual([]);
    expect(pickFallbacks([0], 1, models('a'), 3, 'same-model-first')).toEqual([]);
    expect(pickFallbacks([0], 1, models('a'), 3, 'cross-model')).toEqual([]);
  });

  it('same-model-first fills with other models in rank order when its own run out', () => {
    expect(pickFallbacks([0, 1, 2, 3, 4], 5, models('a', 'b', 'a', 'c', 'b'), 3, 'same-model-first')).toEqual(
      [2, 1, 3],
    );
    expect(pickFallbacks([0, 1, 2, 3], 4, models('a', 'a', 'a', 'b'), 2, 'same-model-first')).toEqual([1, 2]);
  });

  it('same-model-only never fills with others', () => {
    expect(pickFallbacks([0, 1, 2, 3], 4, models('a', 'b', 'a', 'c'), 3, 'same-model-only')).toEqual([2]);
  });

  it('cross-model: another model first, then round robin, the primary model`s second endpoint in round 1', () => {
    expect(
      pickFallbacks([0, 1, 2, 3, 4, 5], 6, models('a', 'a', 'b', 'b', 'c', 'c'), 5, 'cross-model'),
    ).toEqual([2, 4, 1, 3, 5]);
    expect(pickFallbacks([0, 1, 2], 3, models('a', 'a', 'a'), 2, 'cross-model')).toEqual([1, 2]);
    expect(pickFallbacks([0, 1, 2, 3], 4, models('a', 'b', 'c', 'd'), 2, 'cross-model')).toEqual([1, 2]);
  });

  it('property: cross-model equals round robin over per-model groups (reference: a Map of arrays)', () => {
    // The reference: every candidate in walk order grouped by model (first `count` each), the
    // primary model's group first; round r takes each group's r-th (the primary's r-1-th).
    const reference = (order: number[], ids: string[], count: number): number[] => {
      const rest = ids.map((_, i) => i).filter((i) => !order.includes(i));
      const walk = [...order, ...rest];
      const groups = new Map<string, number[]>([[ids[walk[0] as number] as string, []]]);
      for (const i of walk.slice(1)) {
        const g = groups.get(ids[i] as string) ?? [];
        groups.set(ids[i] as string, g);
        if (g.length < count) g.push(i);
      }
      const lists = [...groups.values()];
      const out: number[] = [];
      for (let round = 0; round <= count; round++)
        for (let gi = 0; gi < lists.length; gi++) {
          const v = (lists[gi] as number[])[gi === 0 ? round - 1 : round];
          if (v !== undefined && out.length < count) out.push(v);
        }
      return out;
    };
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 2, maxLength: 30 })
          .chain((ids) =>
            fc.tuple(
              fc.constant(ids),
              fc.shuffledSubarray(
                ids.map((_, i) => i),
                { minLength: 1 },
              ),
              fc.integer({ min: 1, max: 14 }), // past 10 (the schema's cap) grows the scratch
            ),
          ),
        ([ids, order, count]) => {
          expect(pickFallbacks(order, ids.length, models(...ids), count, 'cross-model')).toEqual(
            reference(order, ids, count),
          );
        },
      ),
    );
  });

  it('walks the unranked rest in index order after the ranked head', () => {
    expect(pickFallbacks([3, 0], 5, models('a', 'b', 'a', 'a', 'a'), 3, 'same-model-only')).toEqual([
      0, 2, 4,
    ]);
  });
});

describe('pickDistinctModels', () => {
  it('one per model in rank order, then the rest in rank order', () => {
    expect(pickDistinctModels([0, 1, 2, 3], 4, models('a', 'a', 'b', 'b'), 3)).toEqual([0, 2, 1]);
    expect(pickDistinctModels([2, 0, 1], 3, models('a', 'b', 'c'), 2)).toEqual([2, 0]);
    expect(pickDistinctModels([0], 1, models('a'), 3)).toEqual([0]);
  });
});

describe('plan through route()', () => {
  const reg = compiled({
    models: [model('a', { quality: { chat: 0.9 } }), model('b', { quality: { chat: 0.5 } })],
    endpoints: [endpoint('a1', 'a'), endpoint('b1', 'b')],
    policies: [
      policy('q', {
        strategy: 'quality-first',
        hedge: { delay_ms: 80 },
        timeouts: { attempt_ms: 3000, deadline_ms: 7000 },
        retry: { max_attempts_per_target: 3 },
      }),
      policy('solo', { strategy: 'quality-first', models: ['a'] }),
    ],
  });
  const go = (over: Parameters<typeof request>[0]) =>
    route(request(over), { registry: reg, health: NO_HEALTH }, ctx()).plan;

  it('attempt timeout is the policy`s while the deadline is longer; the deadline caps both', () => {
    expect(go({ model: 'q' })).toMatchObject({ attempt_timeout_ms: 3000, deadline_ms: 7000 });
    expect(go({ model: 'q', hints: { max_latency_ms: 5000 } })).toMatchObject({
      attempt_timeout_ms: 3000,
      deadline_ms: 5000,
    });
    const tight = go({ model: 'q', hints: { max_latency_ms: 1200 } });
    expect(tight).toMatchObject({ attempt_timeout_ms: 1200, deadline_ms: 1200 });
    expect([tight.primary.timeout_ms, ...tight.fallbacks.map((t) => t.timeout_ms)]).toEqual([1200, 1200]);
    expect(tight.hedge?.target.timeout_ms).toBe(1200);
  });

  it('carries the policy`s retry count and hedge delay; defaults: 2 retries, 10 s attempt, 30 s deadline', () => {
    const p = go({ model: 'q' });
    expect(p.max_attempts_per_target).toBe(3);
    expect(p.hedge).toEqual({ delay_ms: 80, target: p.fallbacks[0] });
    expect(p.policy).toBe('q');
    const d = go({ model: 'solo' });
    expect(d).toMatchObject({ max_attempts_per_target: 2, attempt_timeout_ms: 10_000, deadline_ms: 30_000 });
  });

  it('no ensemble with a single candidate, and no hedge without a fallback', () => {
    const p = go({ model: 'solo', hints: { ensemble: true } });
    expect(p.ensemble).toBeUndefined();
    expect(p.fallbacks).toEqual([]);
    expect(p.hedge).toBeUndefined();
  });

  it('an ensemble of two replaces the hedge', () => {
    const p = go({ model: 'q', hints: { ensemble: { size: 2 } } });
    expect(p.ensemble?.targets.map((t) => t.endpoint)).toEqual(['a1', 'b1']);
    expect(p.hedge).toBeUndefined();
  });
});
