// The learned strategy's canary on a static policy: the sticky arm split (deterministic, within
// its weight), route() planning each arm with its strategy and naming the arm, the decision
// record keeping it, and the gate's verdict at every boundary (≥ vs >, N events per arm).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecisionRecord, Policy } from '../../../../layers/core/src/index.ts';
import {
  decisionRecordOf,
  hashToUnit,
  LearningSettingsSchema,
  learnedCanaryArm,
  learnedCanaryGate,
  PolicySchema,
  promotedLearnedPolicy,
  rolledBackLearnedPolicy,
  route,
  steppedLearnedPolicy,
} from '../../../../layers/core/src/index.ts';
import { compiled, ctx, endpoint, model, NO_HEALTH, NOW, policy, request } from '../fixtures.ts';

const rec = (id: string, arm: 'static' | 'learned' | undefined, score: number | undefined, cost = 1000) =>
  ({
    request_id: id,
    tenant: 't',
    at: 1,
    policy: 'auto',
    strategy: arm === 'learned' ? 'learned' : 'quality-first',
    model: 'm@v1',
    endpoint: 'e',
    primary: 'm@v1',
    propensity: 1,
    explored: false,
    prior: 0.5,
    context: [1],
    prompt_tokens: 10,
    status: 'ok',
    latency_ms: 1,
    cost_micros: cost,
    attempts: 1,
    ...(arm ? { arm } : {}),
    ...(score !== undefined ? { feedback: { score, at: 2 } } : {}),
  }) satisfies DecisionRecord as DecisionRecord;

/** `n` scored records per arm: static at quality 0.5 and cost 1000 µUSD, learned as given. */
function arms(n: number, learned: { quality: number; cost: number }): DecisionRecord[] {
  return [
    ...Array.from({ length: n }, (_, i) => rec(`s${i}`, 'static', 0.5, 1000)),
    ...Array.from({ length: n }, (_, i) => rec(`l${i}`, 'learned', learned.quality, learned.cost)),
  ];
}

// Binary-exact literals: tolerance 0.25 puts the quality floor at 0.25 and the cost cap at 1250.
const GATE = { min_events: 4, tolerance: 0.25 };

describe('learnedCanaryGate', () => {
  it('promotes at exactly the quality floor and exactly the cost cap (>= and <=)', () => {
    const g = learnedCanaryGate(arms(4, { quality: 0.25, cost: 1250 }), 'auto', GATE);
    expect(g.verdict).toBe('promote');
    expect(g.static).toEqual({ events: 4, quality: 0.5, cost_micros: 1000 });
    expect(g.learned).toEqual({ events: 4, quality: 0.25, cost_micros: 1250 });
    expect(g.reason).toBe('quality 0.2500 >= 0.2500, cost 1250.0 <= 1250.0 micro-USD');
  });

  it('rolls back just below the quality floor', () => {
    const g = learnedCanaryGate(arms(4, { quality: 0.249, cost: 1000 }), 'auto', GATE);
    expect(g.verdict).toBe('rollback');
    expect(g.reason).toBe('quality 0.2490 < 0.2500, cost 1000.0 <= 1250.0 micro-USD');
  });

  it('rolls back just above the cost cap', () => {
    const g = learnedCanaryGate(arms(4, { quality: 0.5, cost: 1251 }), 'auto', GATE);
    expect(g.verdict).toBe('rollback');
    expect(g.reason).toBe('quality 0.5000 >= 0.2500, cost 1251.0 > 1250.0 micro-USD');
  });

  it('promotes a better and cheaper arm with no tolerance, and rolls back any loss without one', () => {
    const strict = { min_events: 4, tolerance: 0 };
    expect(learnedCanaryGate(arms(4, { quality: 0.5, cost: 1000 }), 'auto', strict).verdict).toBe('promote');
    expect(learnedCanaryGate(arms(4, { quality: 0.75, cost: 250 }), 'auto', strict).verdict).toBe('promote');
    expect(learnedCanaryGate(arms(4, { quality: 0.5, cost: 1001 }), 'auto', strict).verdict).toBe('rollback');
    expect(learnedCanaryGate(arms(4, { quality: 0.4999, cost: 1000 }), 'auto', strict).verdict).toBe(
      'rollback',
    );
  });

  it('waits until each arm has min_events scored answers (exactly min_events decides)', () => {
    const three = learnedCanaryGate(arms(3, { quality: 0.25, cost: 1250 }), 'auto', GATE);
    expect(three.verdict).toBe('wait');
    expect(three.reason).toBe('3 static, 3 learned scored; need 4 each');
    // Four static but three learned: still waiting on the learned arm.
    const lopsided = [...arms(3, { quality: 1, cost: 1 }), rec('s-extra', 'static', 0.5)];
    expect(learnedCanaryGate(lopsided, 'auto', GATE).verdict).toBe('wait');
    expect(learnedCanaryGate([...lopsided, rec('l-extra', 'learned', 1, 1)], 'auto', GATE).verdict).toBe(
      'promote',
    );
  });

  it('counts only this policy’s scored, successful records that name an arm', () => {
    const noise: DecisionRecord[] = [
      rec('unscored', 'learned', undefined, 1),
      { ...rec('error', 'learned', 0, 1), status: 'error' },
      { ...rec('other-policy', 'learned', 0, 1), policy: 'other' },
      rec('no-arm', undefined, 0, 1),
    ];
    const g = learnedCanaryGate([...arms(4, { quality: 0.25, cost: 1250 }), ...noise], 'auto', GATE);
    expect(g.learned).toEqual({ events: 4, quality: 0.25, cost_micros: 1250 });
    expect(g.static.events).toBe(4);
    expect(g.verdict).toBe('promote');
  });

  it('with no records waits, reporting zeros', () => {
    expect(learnedCanaryGate([], 'auto', GATE)).toEqual({
      verdict: 'wait',
      static: { events: 0, quality: 0, cost_micros: 0 },
      learned: { events: 0, quality: 0, cost_micros: 0 },
      reason: '0 static, 0 learned scored; need 4 each',
    });
  });
});

describe('learnedCanaryArm', () => {
  it('is the sticky hash per policy against the weight (< weight: learned)', () => {
    const u = hashToUnit('learned-canary\u0000auto\u0000user-7');
    expect(learnedCanaryArm('auto', 'user-7', u)).toBe('static');
    expect(learnedCanaryArm('auto', 'user-7', u + 1e-9)).toBe('learned');
    expect(learnedCanaryArm('auto', 'user-7', 0)).toBe('static');
    expect(learnedCanaryArm('auto', 'user-7', 1)).toBe('learned');
  });

  it('property: the same key always lands on the same arm, and raising the weight only moves keys to learned', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (key, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(learnedCanaryArm('auto', key, lo)).toBe(learnedCanaryArm('auto', key, lo));
          if (learnedCanaryArm('auto', key, lo) === 'learned')
            expect(learnedCanaryArm('auto', key, hi)).toBe('learned');
        },
      ),
    );
  });

  it('property: the learned share of 4,000 distinct keys stays within 0.03 of the weight', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.string({ maxLength: 8 }),
        (weight, prefix) => {
          let learned = 0;
          for (let i = 0; i < 4000; i++)
            if (learnedCanaryArm('auto', `${prefix}user-${i}`, weight) === 'learned') learned++;
          expect(Math.abs(learned / 4000 - weight)).toBeLessThanOrEqual(0.03);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('route() with learning.canary on a static policy', () => {
  const registryAt = (weight: number) =>
    compiled({
      models: [
        model('small', { cost: { input_per_1k: 0.0001, output_per_1k: 0.0002 }, quality: { chat: 0.7 } }),
        model('large', { cost: { input_per_1k: 0.003, output_per_1k: 0.006 }, quality: { chat: 0.9 } }),
      ],
      endpoints: [endpoint('small-1', 'small'), endpoint('large-1', 'large')],
      // λ 2: the learned strategy picks small (0.7 − 2 · 0.033 beats 0.9 − 2); quality-first picks large.
      policies: [
        policy('auto', {
          strategy: 'quality-first',
          learning: { lambda: 2, explore: 0, canary: { weight } },
        }),
      ],
    });

  it('weight 1: the learned strategy plans and explains; the record says arm learned', () => {
    const d = route(request({ user: 'u1' }), { registry: registryAt(1), health: NO_HEALTH }, ctx(4));
    expect(d.explanation.arm).toBe('learned');
    expect(d.explanation.strategy).toBe('learned');
    expect(d.plan.primary.endpoint).toBe('small-1');
    expect(d.explanation.learned).toMatchObject({ propensity: 1, explored: false, lambda: 2, explore: 0 });
    const r = decisionRecordOf({
      request_id: 'r1',
      at: NOW,
      request: request({ user: 'u1' }),
      decision: d,
      served: { model: 'small', version: 'v1', endpoint: 'small-1' },
      status: 'ok',
      latency_ms: 5,
      cost_micros: 20,
      attempts: 1,
    });
    expect(r.arm).toBe('learned');
    expect(r.strategy).toBe('learned');
    expect(r.candidates?.map((c) => c.model).sort()).toEqual(['large@v1', 'small@v1']);
  });

  it('weight 0: the static strategy plans; arm static, no learned explanation', () => {
    const d = route(request({ user: 'u1' }), { registry: registryAt(0), health: NO_HEALTH }, ctx(4));
    expect(d.explanation.arm).toBe('static');
    expect(d.explanation.strategy).toBe('quality-first');
    expect(d.plan.primary.endpoint).toBe('large-1');
    expect(d.explanation.learned).toBeUndefined();
  });

  it('the arm follows the sticky key: sticky_key, else user, else tenant', () => {
    const registry = registryAt(0.5);
    const armOf = (over: Parameters<typeof request>[0]) =>
      route(request(over), { registry, health: NO_HEALTH }, ctx(4)).explanation.arm;
    for (let i = 0; i < 20; i++) {
      expect(armOf({ user: `u${i}` })).toBe(learnedCanaryArm('auto', `u${i}`, 0.5));
      expect(armOf({ user: 'ignored', hints: { sticky_key: `k${i}` } })).toBe(
        learnedCanaryArm('auto', `k${i}`, 0.5),
      );
    }
    expect(armOf({})).toBe(learnedCanaryArm('auto', 'tenant-1', 0.5));
  });

  it('a policy without a canary names no arm', () => {
    const plain = compiled({
      models: [model('small', { quality: { chat: 0.7 } })],
      endpoints: [endpoint('small-1', 'small')],
      policies: [policy('auto', { strategy: 'quality-first' })],
    });
    expect(route(request(), { registry: plain, health: NO_HEALTH }, ctx(4)).explanation.arm).toBeUndefined();
  });
});

describe('the verdict edits', () => {
  const base: Policy = PolicySchema.parse({
    name: 'auto',
    match: { model: 'auto' },
    strategy: 'quality-first',
    learning: { quality_floor: 0.8, canary: { weight: 0.1 } },
  });

  it('promotion: strategy learned, the canary gone, the other learning settings kept', () => {
    const p = promotedLearnedPolicy(base);
    expect(p.strategy).toBe('learned');
    expect(p.learning).toEqual({ lambda: 0.5, explore: 0.05, shadow: false, quality_floor: 0.8 });
    expect(PolicySchema.parse(p)).toEqual(p);
  });

  it('rollback: the static strategy stays, canary weight 0 with its settings kept', () => {
    const p = rolledBackLearnedPolicy(base);
    expect(p.strategy).toBe('quality-first');
    expect(p.learning?.canary).toEqual({ weight: 0, min_events: 100, tolerance: 0.02 });
  });

  it('a rollout step: shadow on, the canary at the weight with the rollout’s gate; undefined when already so', () => {
    const gate = { min_events: 20, tolerance: 0.1 };
    const p = steppedLearnedPolicy(base, 0.25, gate);
    expect(p?.strategy).toBe('quality-first');
    expect(p?.learning).toEqual({
      lambda: 0.5,
      explore: 0.05,
      shadow: true,
      quality_floor: 0.8,
      canary: { weight: 0.25, min_events: 20, tolerance: 0.1 },
    });
    expect(steppedLearnedPolicy(p as Policy, 0.25, gate)).toBeUndefined();
    // Any one difference rewrites: the weight, either gate setting, or shadow off.
    expect(steppedLearnedPolicy(p as Policy, 0.5, gate)?.learning?.canary?.weight).toBe(0.5);
    expect(steppedLearnedPolicy(p as Policy, 0.25, { ...gate, min_events: 21 })).toBeDefined();
    expect(steppedLearnedPolicy(p as Policy, 0.25, { ...gate, tolerance: 0.2 })).toBeDefined();
    const unshadowed = { ...(p as Policy), learning: { ...(p as Policy).learning, shadow: false } } as Policy;
    expect(steppedLearnedPolicy(unshadowed, 0.25, gate)?.learning?.shadow).toBe(true);
  });

  it('the canary settings default to 100 events and tolerance 0.02, and weight is 0..1', () => {
    expect(LearningSettingsSchema.parse({ canary: { weight: 0.1 } }).canary).toEqual({
      weight: 0.1,
      min_events: 100,
      tolerance: 0.02,
    });
    expect(LearningSettingsSchema.safeParse({ canary: { weight: 1.01 } }).success).toBe(false);
    expect(LearningSettingsSchema.safeParse({ canary: { weight: -0.01 } }).success).toBe(false);
    expect(LearningSettingsSchema.safeParse({ canary: { weight: 0.1, min_events: 0 } }).success).toBe(false);
  });
});
