// route() and score.ts at their edges, with expected values written out as literals (never
// computed from the code's own constants): each cap at exactly its value and just past it, the
// health freshness window at exactly its length, stale records (an old `open` circuit, old
// latencies and load) read as unknown, the health penalties, the score blend and priority weights.
import { describe, expect, it } from 'vitest';
import type {
  Decision,
  EndpointHealth,
  HealthSnapshot,
  RouteRequest,
} from '../../../layers/core/src/index.ts';
import {
  costFloor,
  effectiveWeights,
  estimateCostUsd,
  healthFactor,
  measuredLatencyMs,
  NoCandidateError,
  RegistrySchema,
  relativeToBest,
  route,
} from '../../../layers/core/src/index.ts';
import {
  compiled,
  ctx,
  endpoint,
  health,
  model,
  NO_HEALTH,
  NOW,
  policy,
  request,
  snapshotOf,
} from './fixtures.ts';

/** One model, two endpoints; prices that are exact in binary so a cap can equal the estimate. */
const priced = compiled({
  models: [
    model('m', {
      context_window: 6000,
      cost: { input_per_1k: 0.5, output_per_1k: 0.25, per_call: 0.125 },
      quality: { chat: 0.8 },
    }),
  ],
  endpoints: [endpoint('a', 'm'), endpoint('b', 'm')],
  policies: [policy('p', { models: ['m'], weights: { quality: 1, cost: 0, latency: 0, load: 0 } })],
});
// 2000 prompt tokens at 0.5/1K + 4000 output tokens at 0.25/1K + 0.125 per call = $2.125.
const pricedRequest = (over: Partial<RouteRequest> = {}): RouteRequest =>
  request({ model: 'p', prompt_tokens: 2000, max_output_tokens: 4000, ...over });
const decide = (over: Partial<RouteRequest> = {}, h: HealthSnapshot = NO_HEALTH, freshMs?: number) =>
  route(
    pricedRequest(over),
    { registry: priced, health: h },
    freshMs === undefined ? ctx() : { ...ctx(), options: { health_fresh_ms: freshMs } },
  );
const attempt = (fn: () => Decision): Decision | NoCandidateError => {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NoCandidateError) return err;
    throw err;
  }
};
const candidateIds = (d: Decision | NoCandidateError): string[] =>
  d instanceof NoCandidateError ? [] : d.explanation.candidates.map((c) => c.endpoint).sort();
const ruleOf = (d: Decision | NoCandidateError, id: string): string | undefined =>
  (d instanceof NoCandidateError ? d.excluded : d.explanation.excluded).find((x) => x.endpoint === id)?.rule;
const scoreOf = (d: Decision, id: string): number | undefined =>
  d.explanation.candidates.find((c) => c.endpoint === id)?.score;
const up = (id: string, over: Partial<EndpointHealth> = {}) => health(id, over);

describe('max_cost_usd boundary', () => {
  it('estimates $2.125 for 2000 prompt and 4000 output tokens at 0.5 / 0.25 per 1K plus 0.125 a call', () => {
    const d = decide();
    expect(d.plan.primary.estimated_cost_usd).toBe(2.125);
    expect(d.explanation.candidates.map((c) => c.estimated_cost_usd)).toEqual([2.125, 2.125]);
  });

  it('keeps an endpoint whose estimate equals the cap', () => {
    const d = attempt(() => decide({ hints: { max_cost_usd: 2.125 } }));
    expect(candidateIds(d)).toEqual(['a', 'b']);
  });

  it('excludes it once the estimate is above the cap, naming max-cost', () => {
    const d = attempt(() => decide({ hints: { max_cost_usd: 2.124 } }));
    expect(d).toBeInstanceOf(NoCandidateError);
    expect((d as NoCandidateError).rule).toBe('max-cost');
    expect(ruleOf(d, 'a')).toBe('max-cost');
    expect((d as NoCandidateError).message).toContain('estimated at $2.13, above max_cost_usd $2.124');
  });

  it('prices prompt and output tokens separately (swapping the prices changes the estimate)', () => {
    // 1000 prompt at 0.5 + 0 output = 0.5 (+0.125); swapped prices would give 0.25 + 0.125.
    const d = decide({ prompt_tokens: 1000, max_output_tokens: 0 });
    expect(d.plan.primary.estimated_cost_usd).toBe(0.625);
    const out = decide({ prompt_tokens: 0, max_output_tokens: 1000 });
    expect(out.plan.primary.estimated_cost_usd).toBe(0.375);
  });
});

describe('max_latency_ms boundary', () => {
  const lat = (a: number, b: number) =>
    snapshotOf(up('a', { latency_ewma_ms: a }), up('b', { latency_ewma_ms: b }));

  it('keeps an endpoint whose measured latency equals the cap, excludes one just above it', () => {
    const d = attempt(() => decide({ hints: { max_latency_ms: 2000 } }, lat(2000, 2001)));
    expect(candidateIds(d)).toEqual(['a']);
    expect(ruleOf(d, 'b')).toBe('max-latency');
  });

  it('applies the same boundary to the model`s SLO when nothing is measured', () => {
    const slo = compiled({
      models: [model('m', { latency_slo_ms: 1500 })],
      endpoints: [endpoint('a', 'm')],
    });
    const go = (cap: number) =>
      attempt(() =>
        route(
          request({ model: 'm', hints: { max_latency_ms: cap } }),
          { registry: slo, health: NO_HEALTH },
          ctx(),
        ),
      );
    expect(candidateIds(go(1500))).toEqual(['a']);
    const over = go(1499);
    expect(over).toBeInstanceOf(NoCandidateError);
    expect((over as NoCandidateError).rule).toBe('max-latency');
    expect((over as NoCandidateError).message).toContain(
      'expected to take 1500 ms, above max_latency_ms 1499',
    );
  });
});

describe('context window boundary', () => {
  it('fits when prompt + output equals the context window, not one token more', () => {
    expect(candidateIds(attempt(() => decide({ prompt_tokens: 2000, max_output_tokens: 4000 })))).toEqual([
      'a',
      'b',
    ]);
    const over = attempt(() => decide({ prompt_tokens: 2001, max_output_tokens: 4000 }));
    expect(over).toBeInstanceOf(NoCandidateError);
    expect((over as NoCandidateError).rule).toBe('context-window');
  });
});

describe('health freshness', () => {
  it('a record exactly health_fresh_ms old still counts; one ms older does not', () => {
    const down = (age: number) => snapshotOf(up('a', { status: 'down', checked_at: NOW - age }));
    expect(ruleOf(decide({}, down(90_000)), 'a')).toBe('health-down');
    expect(ruleOf(decide({}, down(90_001)), 'a')).toBeUndefined();
    expect(ruleOf(decide({}, down(5_000), 5_000), 'a')).toBe('health-down');
    expect(ruleOf(decide({}, down(5_001), 5_000), 'a')).toBeUndefined();
  });

  it('a stale open circuit no longer excludes its endpoint: it is routable as unknown (x0.9)', () => {
    const h = snapshotOf(up('a', { circuit: 'open', checked_at: NOW - 90_001 }), up('b'));
    const d = decide({}, h);
    expect(ruleOf(d, 'a')).toBeUndefined();
    expect(d.explanation.candidates.find((c) => c.endpoint === 'a')?.health).toBe('unknown');
    expect(scoreOf(d, 'a')).toBeCloseTo(0.72, 12); // quality 0.8 x 0.9, no half-open penalty
    expect(scoreOf(d, 'b')).toBeCloseTo(0.8, 12);
  });

  it('a fresh open circuit excludes; when it was the only way left, the 503 names circuit-open', () => {
    const h = snapshotOf(
      up('a', { circuit: 'open' }),
      up('b', { circuit: 'open', checked_at: NOW - 90_000 }),
    );
    const d = attempt(() => decide({}, h));
    expect(d).toBeInstanceOf(NoCandidateError);
    expect((d as NoCandidateError).rule).toBe('circuit-open');
    expect((d as NoCandidateError).status).toBe(503);
  });

  it('a stale half-open circuit is not penalised as half-open', () => {
    const h = snapshotOf(up('a', { circuit: 'half-open', checked_at: NOW - 90_001 }), up('b'));
    expect(scoreOf(decide({}, h), 'a')).toBeCloseTo(0.72, 12);
  });

  it('ignores stale latency and load: a stale 5 s EWMA neither trips the latency cap nor sets the estimate', () => {
    const h = snapshotOf(
      up('a', { latency_ewma_ms: 5000, inflight: 12, checked_at: NOW - 90_001 }),
      up('b', { latency_ewma_ms: 300, inflight: 4 }),
    );
    const d = decide({ hints: { max_latency_ms: 2000 } }, h);
    expect(ruleOf(d, 'a')).toBeUndefined();
    const a = d.explanation.candidates.find((c) => c.endpoint === 'a');
    expect(a?.expected_latency_ms).toBe(1000); // the neutral default, nothing known
    expect(a?.inflight).toBe(0);
    expect(a?.parts.load).toBe(1);
    expect(a?.peak_ewma_ms).toBe(1000);
    const b = d.explanation.candidates.find((c) => c.endpoint === 'b');
    expect(b?.expected_latency_ms).toBe(300);
    expect(b?.inflight).toBe(4);
    expect(b?.parts.load).toBe(0.75); // 4 of the default capacity of 16
  });
});

describe('health penalties (literal factors)', () => {
  const scores = (a: Partial<EndpointHealth> | undefined) => {
    const d = decide({}, a ? snapshotOf(up('a', a), up('b')) : snapshotOf(up('b')));
    return { a: scoreOf(d, 'a'), b: scoreOf(d, 'b') };
  };

  it('up: quality 0.8 times 1', () => {
    expect(scores({})).toEqual({ a: 0.8, b: 0.8 });
  });

  it('unknown (no record): x0.9', () => {
    expect(scores(undefined).a).toBeCloseTo(0.72, 12);
  });

  it('degraded: x0.7', () => {
    expect(scores({ status: 'degraded' }).a).toBeCloseTo(0.56, 12);
  });

  it('half-open circuit: x0.5 on an up endpoint, x0.35 on a degraded one', () => {
    expect(scores({ circuit: 'half-open' }).a).toBeCloseTo(0.4, 12);
    expect(scores({ circuit: 'half-open', status: 'degraded' }).a).toBeCloseTo(0.28, 12);
  });

  it('healthFactor gives the same literals', () => {
    expect(healthFactor('up', 'closed')).toBe(1);
    expect(healthFactor('unknown', 'closed')).toBe(0.9);
    expect(healthFactor('degraded', 'closed')).toBe(0.7);
    expect(healthFactor('up', 'half-open')).toBe(0.5);
    expect(healthFactor('degraded', 'half-open')).toBeCloseTo(0.35, 12);
    expect(healthFactor('unknown', 'half-open')).toBeCloseTo(0.45, 12);
    expect(healthFactor('up', 'open')).toBe(1);
  });
});

describe('score blend (literal scores)', () => {
  // cheap: $0.001 a call, 100 ms, quality 0.6; dear: $0.004 a call, 300 ms, quality 0.9.
  // Default weights quality 1, cost 1, latency 1, load 0.5 (sum 3.5); cost floor 10% of $0.004.
  const reg = compiled({
    models: [
      model('cheap', { cost: { per_call: 0.001 }, quality: { chat: 0.6 } }),
      model('dear', { cost: { per_call: 0.004 }, quality: { chat: 0.9 } }),
    ],
    endpoints: [endpoint('c', 'cheap'), endpoint('d', 'dear')],
    policies: [policy('auto')],
  });
  const h = snapshotOf(up('c', { latency_ewma_ms: 100 }), up('d', { latency_ewma_ms: 300 }));
  const go = (priority?: 'high' | 'low') =>
    route(request(priority ? { hints: { priority } } : {}), { registry: reg, health: h }, ctx());
  const cand = (d: Decision, id: string) => d.explanation.candidates.find((c) => c.endpoint === id);

  it('parts: cost (0.001 + 0.0004) / (0.004 + 0.0004), latency (100 + 1) / (300 + 1)', () => {
    const d = go();
    expect(cand(d, 'c')?.parts).toEqual({ quality: 0.6, cost: 1, latency: 1, load: 1 });
    const dear = cand(d, 'd')?.parts;
    expect(dear?.quality).toBe(0.9);
    expect(dear?.cost).toBeCloseTo(0.318_181_818_18, 10);
    expect(dear?.latency).toBeCloseTo(0.335_548_172_76, 10);
    expect(dear?.load).toBe(1);
  });

  it('normal priority: weighted mean of the parts', () => {
    const d = go();
    expect(cand(d, 'c')?.score).toBeCloseTo(0.885_714_285_71, 10);
    expect(cand(d, 'd')?.score).toBeCloseTo(0.586_779_997_41, 10);
  });

  it('high priority doubles the quality weight and halves the cost weight', () => {
    const d = go('high');
    expect(cand(d, 'c')?.score).toBeCloseTo(0.8, 10);
    expect(cand(d, 'd')?.score).toBeCloseTo(0.698_659_770_46, 10);
  });

  it('low priority halves the quality weight and doubles the cost weight', () => {
    const d = go('low');
    expect(cand(d, 'c')?.score).toBeCloseTo(0.95, 10);
    expect(cand(d, 'd')?.score).toBeCloseTo(0.480_477_952_28, 10);
  });

  it('effectiveWeights, costFloor, relativeToBest and estimateCostUsd by hand', () => {
    const w = { quality: 1, cost: 4, latency: 3, load: 0.5 };
    expect(effectiveWeights(w, 'normal')).toEqual(w);
    expect(effectiveWeights(w, 'high')).toEqual({ quality: 2, cost: 2, latency: 3, load: 0.5 });
    expect(effectiveWeights(w, 'low')).toEqual({ quality: 0.5, cost: 8, latency: 3, load: 0.5 });
    expect(costFloor(0.004)).toBeCloseTo(0.0004, 15);
    expect(costFloor(0)).toBe(1e-12);
    expect(relativeToBest(10, 10, 1)).toBe(1);
    expect(relativeToBest(10, 5, 1)).toBe(1); // nothing scores above the best
    expect(relativeToBest(10, 21, 1)).toBe(0.5);
    const m = RegistrySchema.parse({
      models: [model('x', { cost: { input_per_1k: 0.002, output_per_1k: 0.008, per_call: 0.5 } })],
    }).models[0];
    expect(m && estimateCostUsd(m, 500, 250)).toBeCloseTo(0.503, 15);
  });
});

describe('measured latency (EWMA, probe, p95 tail)', () => {
  it('uses the EWMA, else the probe, and blends a higher p95 at 25%', () => {
    expect(measuredLatencyMs(100, 50, undefined)).toBe(100);
    expect(measuredLatencyMs(undefined, 50, undefined)).toBe(50);
    expect(measuredLatencyMs(undefined, undefined, 700)).toBe(700);
    expect(measuredLatencyMs(undefined, undefined, undefined)).toBeUndefined();
    expect(measuredLatencyMs(100, undefined, 500)).toBe(200);
    expect(measuredLatencyMs(400, undefined, 200)).toBe(400); // a lower tail changes nothing
    expect(measuredLatencyMs(400, undefined, 400)).toBe(400);
  });

  it('route() reads the p95 alone when neither EWMA nor probe latency is known', () => {
    const d = decide({}, snapshotOf(up('a', { latency_p95_ms: 700 }), up('b', { latency_ms: 40 })));
    expect(d.explanation.candidates.find((c) => c.endpoint === 'a')?.expected_latency_ms).toBe(700);
    expect(d.explanation.candidates.find((c) => c.endpoint === 'b')?.expected_latency_ms).toBe(40);
  });
});

describe('explicit versions and canaries', () => {
  const reg = compiled({
    models: [
      model('llm', { version: 'v1' }),
      model('llm', { version: 'v2', status: 'staged' }),
      model('llm', { version: 'v3', status: 'staged' }),
    ],
    endpoints: [
      endpoint('e1', 'llm', { version: 'v1' }),
      endpoint('e2', 'llm', { version: 'v2' }),
      endpoint('e3', 'llm', { version: 'v3' }),
    ],
    policies: [
      policy('c', { models: ['llm'], canary: [{ model: 'llm', stable: 'v1', candidate: 'v2', weight: 1 }] }),
      // A general policy (no match.model) with the same canary: it governs requests for `llm@v1`.
      policy('general', {
        match: {},
        models: ['llm'],
        canary: [{ model: 'llm', stable: 'v1', candidate: 'v2', weight: 1 }],
      }),
    ],
  });
  const go = (model: string) => route(request({ model }), { registry: reg, health: NO_HEALTH }, ctx());

  it('an explicit id@version bypasses the canary and says so', () => {
    const d = go('llm@v1');
    expect(d.explanation.policy).toBe('general');
    expect(d.plan.primary.endpoint).toBe('e1');
    expect(d.explanation.versions).toEqual([
      { model: 'llm', version: 'v1', reason: 'requested explicitly (no canary)' },
    ]);
  });

  it('through the policy, weight 1 pins the candidate; a staged version outside the canary is model-status', () => {
    const d = go('c');
    expect(d.plan.primary.endpoint).toBe('e2');
    // Stable's endpoint is no exclusion: it is the candidate-pinned request's first fallback.
    expect(d.explanation.excluded.map((x) => [x.endpoint, x.rule])).toEqual([['e3', 'model-status']]);
    expect(d.plan.fallbacks.map((t) => t.endpoint)).toEqual(['e1']);
    expect(d.explanation.candidates.find((c) => c.endpoint === 'e1')?.fallback_only).toBe(true);
    expect(d.explanation.versions).toEqual([
      {
        model: 'llm',
        version: 'v2',
        reason: expect.stringMatching(
          /^sticky hash 0\.\d{4} < weight 1: candidate; stable v1 endpoints are its first fallbacks$/,
        ),
      },
    ]);
  });
});
