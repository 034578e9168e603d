// Learned policy rollouts in the core: the request schema (kind policy, steps below 100 %, the
// default kind still model) and the step gate at its boundaries (min_events, the quality floor,
// the cost cap, extensions), with literal figures; the shadow step before the canary steps.
import { describe, expect, it } from 'vitest';
import type { DecisionRecord, PolicyGateInput } from '../../../layers/core/src/index.ts';
import {
  AnyRolloutRequestSchema,
  evaluatePolicyGates,
  evaluateShadowStep,
  policyRolloutPhases,
} from '../../../layers/core/src/index.ts';

let seq = 0;
const rec = (arm: 'static' | 'learned', score: number, cost: number, policy = 'auto'): DecisionRecord =>
  ({
    request_id: `${arm}-${seq++}`,
    tenant: 't',
    at: 1,
    policy,
    strategy: arm === 'learned' ? 'learned' : 'quality-first',
    model: 'm@v1',
    endpoint: 'e',
    primary: 'm@v1',
    propensity: 1,
    explored: false,
    prior: 0.5,
    context: [],
    prompt_tokens: 1,
    status: 'ok',
    latency_ms: 1,
    cost_micros: cost,
    attempts: 1,
    arm,
    feedback: { score, at: 2 },
  }) as DecisionRecord;

/** Two static answers (score 0.8, cost 100) and two learned ones at `score`, `cost`. */
const records = (score: number, cost: number): DecisionRecord[] => [
  rec('static', 0.8, 100),
  rec('static', 0.8, 100),
  rec('learned', score, cost),
  rec('learned', score, cost),
];
const input = (over: Partial<PolicyGateInput>): PolicyGateInput => ({
  at: 7,
  policy: 'auto',
  records: records(0.8, 100),
  gates: { min_events: 2, tolerance: 0.25 },
  extensions: 0,
  maxExtensions: 2,
  ...over,
});

describe('policy rollout request', () => {
  it('defaults a body without kind to a model rollout', () => {
    const r = AnyRolloutRequestSchema.parse({ policy: 'p', model: 'm', stable: 'v1', candidate: 'v2' });
    expect(r.kind).toBe('model');
  });

  it('fills a policy rollout with its defaults', () => {
    expect(AnyRolloutRequestSchema.parse({ kind: 'policy', policy: 'auto' })).toEqual({
      kind: 'policy',
      policy: 'auto',
      steps: [5, 25, 50],
      wait_seconds: 300,
      gates: { min_events: 100, tolerance: 0.02 },
      max_extensions: 12,
    });
  });

  it.each([
    [{ kind: 'policy', policy: 'auto', steps: [5, 100] }, 'steps'],
    [{ kind: 'policy', policy: 'auto', steps: [50, 25] }, 'steps'],
    [{ kind: 'policy', policy: 'auto', gates: { min_events: 0 } }, 'gates'],
    [{ kind: 'policy', policy: 'auto', gates: { tolerance: 1.01 } }, 'gates'],
    [{ kind: 'nope', policy: 'auto' }, 'kind'],
  ])('rejects %j naming %s', (body, field) => {
    const parsed = AnyRolloutRequestSchema.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path[0]).toBe(field);
  });

  it('accepts a step of 99.9 % and a tolerance of 1', () => {
    const r = AnyRolloutRequestSchema.parse({
      kind: 'policy',
      policy: 'auto',
      steps: [99.9],
      gates: { tolerance: 1 },
    });
    expect(r.kind === 'policy' && r.steps).toEqual([99.9]);
  });
});

describe('policy rollout gate', () => {
  it('waits below min_events on either arm, then breaches after the last extension', () => {
    const few = [rec('static', 0.8, 100), rec('static', 0.8, 100), rec('learned', 0.8, 100)];
    expect(evaluatePolicyGates(input({ records: few, extensions: 1 }))).toEqual({
      at: 7,
      verdict: 'wait',
      reason: 'waiting for feedback: 2 static, 1 learned scored; need 2 each',
      static: { events: 2, quality: 0.8, cost_micros: 100 },
      learned: { events: 1, quality: 0.8, cost_micros: 100 },
    });
    const out = evaluatePolicyGates(input({ records: few, extensions: 2 }));
    expect(out.verdict).toBe('breach');
    expect(out.reason).toBe(
      'insufficient feedback after 2 extra waits: 2 static, 1 learned scored; need 2 each',
    );
  });

  it('passes at exactly the quality floor and the cost cap', () => {
    // floor 0.8 - 0.25 = 0.55; cap 100 x 1.25 = 125.
    const out = evaluatePolicyGates(input({ records: records(0.55, 125) }));
    expect(out.verdict).toBe('pass');
    expect(out.reason).toBe(
      'learned within tolerance: quality 0.5500 >= 0.5500, cost 125.0 <= 125.0 micro-USD',
    );
  });

  it('breaches just under the quality floor', () => {
    const out = evaluatePolicyGates(input({ records: records(0.54, 100) }));
    expect(out.verdict).toBe('breach');
    expect(out.reason).toBe(
      'learned worse than static: quality 0.5400 < 0.5500, cost 100.0 <= 125.0 micro-USD',
    );
  });

  it('breaches just over the cost cap', () => {
    const out = evaluatePolicyGates(input({ records: records(0.8, 126) }));
    expect(out.verdict).toBe('breach');
    expect(out.learned).toEqual({ events: 2, quality: 0.8, cost_micros: 126 });
  });

  it("leaves out other policies' records", () => {
    const others = [...records(0.8, 100), rec('learned', 0, 1000, 'other')];
    expect(evaluatePolicyGates(input({ records: others })).learned.events).toBe(2);
  });
});

describe('the shadow step', () => {
  it('comes first, at 0 %, before the requested steps', () => {
    expect(policyRolloutPhases({ steps: [5, 25, 50] })).toEqual([0, 5, 25, 50]);
  });

  it('passes, counting only this policy’s decisions that logged a learned choice', () => {
    const shadow = { model: 'm@v1', propensity: 1, explored: false };
    const list = [
      { ...rec('static', 0.8, 100), shadow },
      { ...rec('static', 0.8, 100), shadow },
      { ...rec('static', 0.8, 100, 'other'), shadow },
      rec('static', 0.6, 50),
    ];
    expect(evaluateShadowStep({ at: 9, policy: 'auto', records: list })).toEqual({
      at: 9,
      verdict: 'pass',
      reason: 'shadow: 2 decisions logged the learned choice',
      static: { events: 3, quality: 0.7333333333333334, cost_micros: 83.33333333333333 },
      learned: { events: 0, quality: 0, cost_micros: 0 },
    });
  });
});
