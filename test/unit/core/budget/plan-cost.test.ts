// The most a plan can cost (what the reserve step holds): the largest of its targets' maximum
// costs (prompt + max_tokens, or what the context window leaves, at the target model's prices,
// rounded up to the nano-dollar), and prompt + that output in tokens.
import { describe, expect, it } from 'vitest';
import type { Model, Plan, PlanTarget } from '../../../../layers/core/src/index.ts';
import { maxOutputTokens, planMaximum, planTargets } from '../../../../layers/core/src/index.ts';

const target = (model: string, estimated = 0): PlanTarget => ({
  endpoint: `${model}-1`,
  model,
  version: 'v1',
  kind: 'openai-http',
  target: 'http://x',
  region: 'us-east-1',
  upstream_model: model,
  timeout_ms: 1000,
  estimated_cost_usd: estimated,
});
const models: Record<string, Pick<Model, 'cost' | 'context_window'>> = {
  big: { cost: { input_per_1k: 0.01, output_per_1k: 0.03, per_call: 0 }, context_window: 1000 },
  small: { cost: { input_per_1k: 0.001, output_per_1k: 0.002, per_call: 0.0001 }, context_window: 4000 },
};
const plan = (over: Partial<Plan> = {}): Plan => ({
  policy: 'p',
  primary: target('small'),
  fallbacks: [],
  attempt_timeout_ms: 1000,
  deadline_ms: 2000,
  max_attempts_per_target: 1,
  ...over,
});
const req = { prompt_tokens: 100, max_output_tokens: 200 };
const modelOf = (t: PlanTarget) => models[t.model];

describe('planMaximum', () => {
  it('one target: prompt and max_tokens at its prices, plus the per-call price', () => {
    // 100 x 0.001/1K + 200 x 0.002/1K + 0.0001 = $0.0006
    expect(planMaximum(plan(), req, modelOf, true)).toEqual({ cost_nanos: 600_000, tokens: 300 });
  });

  it('the most expensive target wins, wherever it sits in the plan', () => {
    // big: 100 x 0.01/1K + 200 x 0.03/1K = $0.007
    expect(planMaximum(plan({ fallbacks: [target('big')] }), req, modelOf, true).cost_nanos).toBe(7_000_000);
    expect(
      planMaximum(plan({ hedge: { delay_ms: 10, target: target('big') } }), req, modelOf, true).cost_nanos,
    ).toBe(7_000_000);
    expect(
      planMaximum(
        plan({ ensemble: { targets: [target('small'), target('big')], combine: 'majority-vote' } }),
        req,
        modelOf,
        true,
      ).cost_nanos,
    ).toBe(7_000_000);
  });

  it('without max_tokens a target may use what its context window leaves after the prompt', () => {
    // small: 100 x 0.001/1K + 3900 x 0.002/1K + 0.0001 = $0.008; big: 100 x 0.01/1K + 900 x 0.03/1K = $0.028
    expect(planMaximum(plan(), req, modelOf, false)).toEqual({ cost_nanos: 8_000_000, tokens: 4_000 });
    expect(planMaximum(plan({ fallbacks: [target('big')] }), req, modelOf, false)).toEqual({
      cost_nanos: 28_000_000,
      tokens: 4_000,
    });
  });

  it('n choices may each produce the whole output', () => {
    // 100 x 0.001/1K + 3 x 200 x 0.002/1K + 0.0001 = $0.0014
    expect(planMaximum(plan(), { ...req, n: 3 }, modelOf, true)).toEqual({
      cost_nanos: 1_400_000,
      tokens: 700,
    });
    expect(planMaximum(plan(), { ...req, n: 1 }, modelOf, true)).toEqual({
      cost_nanos: 600_000,
      tokens: 300,
    });
  });

  it('an unknown model counts at its plan estimate, rounded up', () => {
    expect(planMaximum(plan({ primary: target('gone', 0.0000000011) }), req, modelOf, true)).toEqual({
      cost_nanos: 2,
      tokens: 300,
    });
  });

  it('rounds a fraction of a nano-dollar up', () => {
    // 1 x 0.001/1K + 0 + 0.0001 = $0.000101 (exact); 1 x 0.0000015/1K = $0.0000000015 -> 2
    expect(planMaximum(plan(), { prompt_tokens: 1, max_output_tokens: 0 }, modelOf, true).cost_nanos).toBe(
      101_000,
    );
    const odd = { cost: { input_per_1k: 0.0000015, output_per_1k: 0, per_call: 0 }, context_window: 10 };
    expect(planMaximum(plan(), { prompt_tokens: 1, max_output_tokens: 0 }, () => odd, true).cost_nanos).toBe(
      2,
    );
  });
});

describe('maxOutputTokens', () => {
  it('the caller bound, or the context window left (never less than the default asked)', () => {
    expect(maxOutputTokens(req, { context_window: 1000 }, true)).toBe(200);
    expect(maxOutputTokens(req, { context_window: 1000 }, false)).toBe(900);
    expect(maxOutputTokens(req, { context_window: 250 }, false)).toBe(200);
    expect(maxOutputTokens(req, { context_window: 300 }, false)).toBe(200);
    expect(maxOutputTokens(req, { context_window: 301 }, false)).toBe(201);
  });
});

describe('planTargets', () => {
  it('lists primary, fallbacks, hedge and ensemble members in order', () => {
    const p = plan({
      fallbacks: [target('a')],
      hedge: { delay_ms: 1, target: target('b') },
      ensemble: { targets: [target('c')], combine: 'first-success' },
    });
    expect(planTargets(p).map((t) => t.model)).toEqual(['small', 'a', 'b', 'c']);
  });
});
