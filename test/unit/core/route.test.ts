// route(): one test per hard-constraint rule (each excluded endpoint gets the first failing rule
// and a reason), policy resolution, scoring, plan shapes and the explanation.
import { describe, expect, it } from 'vitest';
import type { Decision, RouteRequest } from '../../../layers/core/src/index.ts';
import {
  EXCLUSION_RULES,
  HEALTH_FACTOR,
  ModelNotFoundError,
  NoCandidateError,
  route,
  seededRandom,
} from '../../../layers/core/src/index.ts';
import {
  compiled,
  ctx,
  endpoint,
  health,
  model,
  NO_HEALTH,
  NOW,
  planEndpoints,
  policy,
  request,
  snapshotOf,
  ZOO,
} from './fixtures.ts';

const zoo = compiled(ZOO);
const decide = (over: Partial<RouteRequest> = {}, h = NO_HEALTH, seed = 1): Decision =>
  route(request(over), { registry: zoo, health: h }, ctx(seed));
const exclusionOf = (d: Decision, endpointId: string) =>
  d.explanation.excluded.find((x) => x.endpoint === endpointId);
const candidateIds = (d: Decision) => d.explanation.candidates.map((c) => c.endpoint).sort();
function noCandidate(fn: () => unknown): NoCandidateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof NoCandidateError) return err;
    throw err;
  }
  throw new Error('expected NoCandidateError');
}

describe('hard constraints: one rule per excluded endpoint', () => {
  it('policy-models: a policy with `models` excludes every other model', () => {
    const d = decide({ model: 'cheap-only' });
    expect(candidateIds(d)).toEqual(['cheap-eu', 'cheap-us']);
    expect(exclusionOf(d, 'big-us')).toMatchObject({ rule: 'policy-models', model: 'big' });
    expect(exclusionOf(d, 'big-us')?.reason).toContain('cheap-only');
  });

  it('tenant-allow-list: entries are model ids or id@version', () => {
    const d = decide({ tenant: { id: 'acme', allowed_models: ['cheap', 'big@v1'] } });
    expect(candidateIds(d)).toEqual(['big-eu', 'big-us', 'cheap-eu', 'cheap-us']);
    expect(exclusionOf(d, 'hipaa-us')).toMatchObject({ rule: 'tenant-allow-list' });
    expect(exclusionOf(d, 'hipaa-us')?.reason).toContain('acme');
  });

  it('tenant-allow-list: a model the tenant may not use does not exist for it (404), named or pinned', () => {
    const tenant = { id: 'acme', allowed_models: ['cheap', 'big@v1', 'canary-llm@v2'] };
    const missing = (model: string) => () => decide({ model, tenant });
    expect(missing('hipaa')).toThrow(ModelNotFoundError);
    expect(missing('hipaa')).toThrow('The model "hipaa" does not exist or you do not have access to it.');
    expect(missing('hipaa@v1')).toThrow(ModelNotFoundError);
    expect(missing('canary-llm@v1')).toThrow(ModelNotFoundError);
    // Allowed: the model, one of its versions, or the version pinned.
    expect(decide({ model: 'cheap', tenant }).plan.primary.model).toBe('cheap');
    expect(decide({ model: 'big', tenant }).plan.primary.model).toBe('big');
    expect(decide({ model: 'big@v1', tenant }).plan.primary.endpoint).toMatch(/^big-/);
    expect(decide({ model: 'canary-llm@v2', tenant }).plan.primary.endpoint).toBe('canary-v2');
    // No allow-list: every model.
    expect(decide({ model: 'hipaa' }).plan.primary.endpoint).toBe('hipaa-us');
  });

  it('model-status: failed and retired never; staged only through a canary', () => {
    const d = decide();
    expect(exclusionOf(d, 'canary-v3')).toMatchObject({ rule: 'model-status' });
    expect(exclusionOf(d, 'canary-v3')?.reason).toContain('rolled back');
    expect(exclusionOf(d, 'canary-v2')).toMatchObject({ rule: 'model-status' });
    expect(exclusionOf(d, 'canary-v2')?.reason).toContain('staged');
    expect(exclusionOf(d, 'canary-v1')).toBeUndefined();
  });

  it('model-status: an explicit id@version reaches a staged version, never a failed one', () => {
    expect(decide({ model: 'canary-llm@v2' }).plan.primary.endpoint).toBe('canary-v2');
    const err = noCandidate(() => decide({ model: 'canary-llm@v3' }));
    expect(err.rule).toBe('model-status');
    expect(err.status).toBe(503);
  });

  it('canary-version: the sticky draw pins one version and excludes the other', () => {
    const d = decide({ model: 'canary', user: 'conversation-1' });
    const pinned = d.plan.primary.version;
    const other = pinned === 'v1' ? 'canary-v2' : 'canary-v1';
    expect(exclusionOf(d, other)).toMatchObject({ rule: 'canary-version' });
    expect(exclusionOf(d, 'canary-v3')).toMatchObject({ rule: 'model-status' });
    expect(d.explanation.versions).toEqual([
      { model: 'canary-llm', version: pinned, reason: expect.stringContaining('sticky hash') },
    ]);
  });

  it('task: models that do not serve the task are excluded', () => {
    const d = decide({ task: 'embedding' });
    expect(candidateIds(d)).toEqual(['embed-us']);
    expect(exclusionOf(d, 'cheap-us')).toMatchObject({ rule: 'task' });
    expect(exclusionOf(d, 'cheap-us')?.reason).toContain('"embedding"');
  });

  it('domain: only when the hint asks for one', () => {
    const d = decide({ hints: { domain: 'legal' } });
    expect(candidateIds(d)).toEqual(['big-eu', 'big-us']);
    expect(exclusionOf(d, 'cheap-us')).toMatchObject({ rule: 'domain' });
    expect(candidateIds(decide())).toContain('cheap-us');
  });

  it('context-window: prompt + max output tokens must fit', () => {
    const d = decide({ prompt_tokens: 8000, max_output_tokens: 500 });
    expect(exclusionOf(d, 'cheap-us')).toMatchObject({ rule: 'context-window' });
    expect(exclusionOf(d, 'cheap-us')?.reason).toContain('8192');
    expect(candidateIds(d)).toEqual(['big-eu', 'big-us']);
    expect(candidateIds(decide({ prompt_tokens: 8000, max_output_tokens: 192 }))).toContain('cheap-us');
  });

  it('data-classification: the model must accept the class', () => {
    const d = decide({ hints: { data_classification: 'confidential' } });
    expect(candidateIds(d)).toEqual(['big-eu', 'big-us']);
    expect(exclusionOf(d, 'cheap-us')).toMatchObject({ rule: 'data-classification' });
  });

  it('data-classification: phi additionally needs hipaa compliance', () => {
    const d = decide({ hints: { data_classification: 'phi' } });
    expect(candidateIds(d)).toEqual(['hipaa-us']);
    expect(exclusionOf(d, 'phi-us')).toMatchObject({ rule: 'data-classification' });
    expect(exclusionOf(d, 'phi-us')?.reason).toContain('HIPAA');
  });

  it('region: residency pins both the endpoint region and the model regions', () => {
    const d = decide({ hints: { region: 'eu-west-1' } });
    expect(candidateIds(d)).toEqual(['big-eu', 'cheap-eu']);
    expect(exclusionOf(d, 'cheap-us')).toMatchObject({ rule: 'region' });
    expect(exclusionOf(d, 'cheap-us')?.reason).toContain('endpoint runs in us-east-1');
    expect(exclusionOf(d, 'hipaa-us')?.reason).toContain('model does not run in region eu-west-1');
  });

  it('endpoint-state: draining and disabled endpoints are excluded', () => {
    const reg = compiled({
      models: [model('m')],
      endpoints: [
        endpoint('a', 'm', { state: 'draining' }),
        endpoint('b', 'm', { state: 'disabled' }),
        endpoint('c', 'm'),
      ],
    });
    const d = route(request({ model: 'm' }), { registry: reg, health: NO_HEALTH }, ctx());
    expect(d.explanation.excluded.map((x) => [x.endpoint, x.rule, x.reason])).toEqual([
      ['a', 'endpoint-state', 'endpoint is draining'],
      ['b', 'endpoint-state', 'endpoint is disabled'],
    ]);
  });

  it('health-down: fresh `down` is excluded, stale `down` counts as unknown', () => {
    const fresh = decide({}, snapshotOf(health('cheap-us', { status: 'down', reason: 'probe: 503' })));
    expect(exclusionOf(fresh, 'cheap-us')).toMatchObject({ rule: 'health-down', reason: 'probe: 503' });
    const stale = decide({}, snapshotOf(health('cheap-us', { status: 'down', checked_at: NOW - 90_001 })));
    expect(exclusionOf(stale, 'cheap-us')).toBeUndefined();
    expect(stale.explanation.candidates.find((c) => c.endpoint === 'cheap-us')?.health).toBe('unknown');
  });

  it('health freshness window is configurable', () => {
    const h = snapshotOf(health('cheap-us', { status: 'down', checked_at: NOW - 5_000 }));
    const d = route(
      request(),
      { registry: zoo, health: h },
      { ...ctx(), options: { health_fresh_ms: 1_000 } },
    );
    expect(exclusionOf(d, 'cheap-us')).toBeUndefined();
  });

  it('circuit-open: open is excluded, half-open is routable with a lower score', () => {
    const d = decide(
      {},
      snapshotOf(
        health('cheap-us', { circuit: 'open' }),
        health('cheap-eu', { circuit: 'half-open' }),
        health('big-us'),
      ),
    );
    expect(exclusionOf(d, 'cheap-us')).toMatchObject({ rule: 'circuit-open' });
    const eu = d.explanation.candidates.find((c) => c.endpoint === 'cheap-eu');
    expect(eu).toBeDefined();
    const same = decide({}, snapshotOf(health('cheap-eu'), health('big-us')));
    const euClosed = same.explanation.candidates.find((c) => c.endpoint === 'cheap-eu');
    expect((eu?.score ?? 0) / (euClosed?.score ?? 1)).toBeCloseTo(HEALTH_FACTOR['half-open'], 5);
  });

  it('max-cost: estimated cost above the cap is excluded, and the estimate is shown', () => {
    // cheap: 1000/1k*0.0002 + 1000/1k*0.0004 = 0.0006; big: 0.003 + 0.006 = 0.009
    const d = decide({ prompt_tokens: 1000, max_output_tokens: 1000, hints: { max_cost_usd: 0.005 } });
    expect(exclusionOf(d, 'big-us')).toMatchObject({ rule: 'max-cost' });
    expect(exclusionOf(d, 'big-us')?.reason).toContain('0.00900');
    const cheap = d.explanation.candidates.find((c) => c.endpoint === 'cheap-us');
    expect(cheap?.estimated_cost_usd).toBeCloseTo(0.0006, 10);
    expect(d.plan.primary.estimated_cost_usd).toBeLessThanOrEqual(0.005);
  });

  it('max-latency: expected latency above the cap is excluded when known (measured or SLO)', () => {
    const h = snapshotOf(
      health('cheap-us', { latency_ewma_ms: 2500 }),
      health('cheap-eu', { latency_ewma_ms: 300 }),
    );
    const d = decide({ hints: { max_latency_ms: 2000 } }, h);
    expect(exclusionOf(d, 'cheap-us')).toMatchObject({ rule: 'max-latency' });
    expect(exclusionOf(d, 'cheap-us')?.reason).toContain('measured');
    expect(exclusionOf(d, 'big-us')?.reason).toContain('SLO'); // big's SLO is 6000 ms
    expect(exclusionOf(d, 'hipaa-us')).toBeUndefined(); // nothing known: not excluded
    expect(d.plan.deadline_ms).toBe(2000);
  });

  it('reports only the first failing rule, in the documented order', () => {
    const reg = compiled({
      models: [model('m', { tasks: ['embedding'] })],
      endpoints: [endpoint('a', 'm', { state: 'disabled', region: 'eu-west-1' })],
    });
    const err = noCandidate(() =>
      route(
        request({ model: 'm', hints: { region: 'eu-west-1' } }),
        { registry: reg, health: snapshotOf(health('a', { status: 'down' })) },
        ctx(),
      ),
    );
    expect(err.excluded).toEqual([expect.objectContaining({ endpoint: 'a', rule: 'task' })]);
    expect(EXCLUSION_RULES.indexOf('task')).toBeLessThan(EXCLUSION_RULES.indexOf('region'));
  });
});

describe('no candidate left', () => {
  it('names the constraint that emptied the set, with counts (400 for the caller`s own constraints)', () => {
    const err = noCandidate(() => decide({ model: 'cheap-only', hints: { data_classification: 'phi' } }));
    expect(err.rule).toBe('data-classification');
    expect(err.status).toBe(400);
    expect(err.message).toBe(
      'No endpoint can serve this request: data-classification — "phi" data may only go to HIPAA-eligible models; ' +
        '10 endpoints excluded (policy-models 8, data-classification 2).',
    );
    expect(err.excluded).toHaveLength(10);
  });

  it('is a 503 with Retry-After when availability emptied it', () => {
    const h = snapshotOf(health('cheap-us', { status: 'down' }), health('cheap-eu', { circuit: 'open' }));
    const err = noCandidate(() => decide({ model: 'cheap-only' }, h));
    expect(err.rule).toBe('circuit-open');
    expect(err.status).toBe(503);
    expect(err.headers['retry-after']).toBeDefined();
    expect(err.message).toContain('circuit-open');
  });

  it('says what the cheapest remaining endpoint would cost', () => {
    const err = noCandidate(() => decide({ model: 'cheap-only', hints: { max_cost_usd: 0.00001 } }));
    expect(err.rule).toBe('max-cost');
    expect(err.message).toContain('$0.0000600');
  });

  it('handles a model without endpoints', () => {
    const reg = compiled({ models: [model('lonely')] });
    const err = noCandidate(() =>
      route(request({ model: 'lonely' }), { registry: reg, health: NO_HEALTH }, ctx()),
    );
    expect(err.message).toContain('no endpoint is registered');
  });
});

describe('policy resolution', () => {
  const reg = compiled({
    models: [model('a'), model('b'), model('c', { tasks: ['chat', 'summarization'] })],
    endpoints: [endpoint('a1', 'a'), endpoint('b1', 'b'), endpoint('c1', 'c')],
    policies: [
      policy('auto', { models: ['a'] }),
      policy('auto-acme', { match: { model: 'auto', tenant: 'acme' }, models: ['b'] }),
      policy('auto-low', { match: { model: 'auto' }, priority: -5, models: ['c'] }),
      policy('acme-general', { match: { tenant: 'acme' }, strategy: 'cost-first' }),
      policy('beta-header', { match: { headers: { 'X-Beta': '1' } }, strategy: 'latency-first' }),
      policy('sum-acme', { match: { task: 'summarization', tenant: 'acme' }, strategy: 'quality-first' }),
    ],
  });
  const go = (over: Partial<RouteRequest>) =>
    route(request(over), { registry: reg, health: NO_HEALTH }, ctx());

  it('an alias picks the most specific matching policy, then the highest priority', () => {
    expect(go({}).explanation.policy).toBe('auto');
    expect(go({ tenant: { id: 'acme' } }).plan.primary.endpoint).toBe('b1');
  });

  it('a concrete model id gets the most specific general policy, else the default', () => {
    expect(go({ model: 'c' }).explanation.policy).toBe('default');
    expect(go({ model: 'c', tenant: { id: 'acme' } }).explanation.policy).toBe('acme-general');
    expect(go({ model: 'c', tenant: { id: 'acme' }, task: 'summarization' }).explanation.policy).toBe(
      'sum-acme',
    );
    expect(go({ model: 'c', headers: { 'x-beta': '1' } }).explanation.strategy).toBe('latency-first');
  });

  it('a concrete model limits the candidates to its endpoints', () => {
    const d = go({ model: 'b' });
    expect(d.explanation.candidates.map((c) => c.endpoint)).toEqual(['b1']);
    expect(d.explanation.excluded).toEqual([]);
  });

  it('throws ModelNotFoundError for unknown names and versions', () => {
    expect(() => go({ model: 'nope' })).toThrow(ModelNotFoundError);
    expect(() => go({ model: 'a@v9' })).toThrow(ModelNotFoundError);
    expect(() => go({ model: '@v1' })).toThrow(ModelNotFoundError);
  });
});

describe('scoring', () => {
  it('gives parts in 0..1 with the cheapest and fastest at 1', () => {
    const d = decide(
      {},
      snapshotOf(health('cheap-us', { latency_ewma_ms: 200 }), health('big-us', { latency_ewma_ms: 800 })),
    );
    for (const c of d.explanation.candidates) {
      for (const v of Object.values(c.parts)) expect(v >= 0 && v <= 1).toBe(true);
      expect(c.score >= 0 && c.score <= 1).toBe(true);
    }
    const cheap = d.explanation.candidates.find((c) => c.endpoint === 'cheap-us');
    const big = d.explanation.candidates.find((c) => c.endpoint === 'big-us');
    // canary-llm declares no cost (free): it gets 1; cheaper beats dearer, with a floor so the
    // free model does not zero everyone else.
    expect(d.explanation.candidates.find((c) => c.endpoint === 'canary-v1')?.parts.cost).toBe(1);
    expect(cheap?.parts.cost).toBeGreaterThan(0.5);
    expect(big?.parts.cost).toBeLessThan(cheap?.parts.cost ?? 0);
    expect(cheap?.parts.latency).toBe(1);
    expect(big?.parts.latency).toBeCloseTo(201 / 801, 10);
    expect(big?.parts.quality).toBe(0.92);
  });

  it('uses 0.5 for a task without a quality prior', () => {
    const d = decide({ task: 'summarization' });
    expect(d.explanation.candidates.find((c) => c.endpoint === 'cheap-us')?.parts.quality).toBe(0.5);
  });

  it('blends the p95 tail into the expected latency', () => {
    const d = decide({}, snapshotOf(health('cheap-us', { latency_ewma_ms: 100, latency_p95_ms: 500 })));
    expect(d.explanation.candidates.find((c) => c.endpoint === 'cheap-us')?.expected_latency_ms).toBe(200);
  });

  it('load part is 1 - inflight / capacity', () => {
    const d = decide({}, snapshotOf(health('cheap-us', { inflight: 4 })));
    expect(d.explanation.candidates.find((c) => c.endpoint === 'cheap-us')?.parts.load).toBeCloseTo(0.6, 10);
  });

  it('priority high leans to quality, low to cost', () => {
    const rel = (priority: 'high' | 'low') => {
      const d = decide({ hints: { priority } });
      const big = d.explanation.candidates.find((c) => c.endpoint === 'big-us')?.score ?? 0;
      const cheap = d.explanation.candidates.find((c) => c.endpoint === 'cheap-us')?.score ?? 0;
      return big / cheap;
    };
    expect(rel('high')).toBeGreaterThan(rel('low'));
    expect(decide({ hints: { priority: 'high' } }).explanation.priority).toBe('high');
  });

  it('penalises unknown health against fresh `up` health', () => {
    const d = decide({}, snapshotOf(health('cheap-us')));
    const us = d.explanation.candidates.find((c) => c.endpoint === 'cheap-us');
    const eu = d.explanation.candidates.find((c) => c.endpoint === 'cheap-eu');
    expect(eu?.health).toBe('unknown');
    expect((eu?.score ?? 0) / (us?.score ?? 1)).toBeCloseTo(HEALTH_FACTOR.unknown, 5);
  });
});

describe('plan', () => {
  const reg = compiled({
    models: [
      model('a', { quality: { chat: 0.9 } }),
      model('b', { quality: { chat: 0.8 } }),
      model('c', { quality: { chat: 0.7 } }),
    ],
    endpoints: [
      endpoint('a1', 'a'),
      endpoint('a2', 'a'),
      endpoint('a3', 'a'),
      endpoint('b1', 'b'),
      endpoint('b2', 'b'),
      endpoint('c1', 'c'),
    ],
    policies: [
      policy('same', { strategy: 'quality-first', fallback: { count: 3, mode: 'same-model-first' } }),
      policy('cross', { strategy: 'quality-first', fallback: { count: 4, mode: 'cross-model' } }),
      policy('only', { strategy: 'quality-first', fallback: { count: 5, mode: 'same-model-only' } }),
      policy('hedged', {
        strategy: 'quality-first',
        hedge: { delay_ms: 150 },
        timeouts: { attempt_ms: 4000, deadline_ms: 9000 },
      }),
      policy('ens', {
        strategy: 'quality-first',
        ensemble: { size: 3, combine: 'majority-vote', min_prompt_tokens: 1000 },
      }),
    ],
  });
  const go = (over: Partial<RouteRequest>) =>
    route(request(over), { registry: reg, health: NO_HEALTH }, ctx());
  const ids = (d: Decision) => [d.plan.primary.endpoint, ...d.plan.fallbacks.map((t) => t.endpoint)];

  it('same-model-first: the primary model`s other endpoints, then others', () => {
    expect(ids(go({ model: 'same' }))).toEqual(['a1', 'a2', 'a3', 'b1']);
  });

  it('cross-model: round robin over models, another model first', () => {
    expect(ids(go({ model: 'cross' }))).toEqual(['a1', 'b1', 'c1', 'a2', 'b2']);
  });

  it('same-model-only: never another model', () => {
    expect(ids(go({ model: 'only' }))).toEqual(['a1', 'a2', 'a3']);
  });

  it('timeouts: attempt and deadline from the policy, capped by max_latency_ms', () => {
    const d = go({ model: 'hedged' });
    expect(d.plan.attempt_timeout_ms).toBe(4000);
    expect(d.plan.deadline_ms).toBe(9000);
    expect(d.plan.primary.timeout_ms).toBe(4000);
    const capped = go({ model: 'hedged', hints: { max_latency_ms: 2500 } });
    expect(capped.plan.deadline_ms).toBe(2500);
    expect(capped.plan.attempt_timeout_ms).toBe(2500);
    expect(capped.plan.fallbacks.every((t) => t.timeout_ms === 2500)).toBe(true);
  });

  it('hedge: the first fallback after the policy delay', () => {
    const d = go({ model: 'hedged' });
    expect(d.plan.hedge).toEqual({ delay_ms: 150, target: d.plan.fallbacks[0] });
    expect(go({ model: 'same' }).plan.hedge).toBeUndefined();
  });

  it('ensemble: from the policy when the prompt is long enough, distinct models first', () => {
    expect(go({ model: 'ens', prompt_tokens: 999 }).plan.ensemble).toBeUndefined();
    const d = go({ model: 'ens', prompt_tokens: 1000 });
    expect(d.plan.ensemble?.combine).toBe('majority-vote');
    expect(d.plan.ensemble?.targets.map((t) => t.endpoint)).toEqual(['a1', 'b1', 'c1']);
    expect(d.plan.hedge).toBeUndefined();
  });

  it('ensemble: the hint turns it on (with its own size/combine) or off', () => {
    const on = go({ model: 'same', hints: { ensemble: { size: 2, combine: 'best-score' } } });
    expect(on.plan.ensemble).toEqual({
      targets: [on.plan.primary, expect.objectContaining({ endpoint: 'b1' })],
      combine: 'best-score',
    });
    expect(go({ model: 'same', hints: { ensemble: true } }).plan.ensemble?.targets).toHaveLength(3);
    expect(
      go({ model: 'ens', prompt_tokens: 5000, hints: { ensemble: false } }).plan.ensemble,
    ).toBeUndefined();
  });

  it('ensemble: fills with more endpoints when there are fewer models than members', () => {
    const d = go({ model: 'same', hints: { ensemble: { size: 5 } } });
    expect(d.plan.ensemble?.targets.map((t) => t.endpoint)).toEqual(['a1', 'b1', 'c1', 'a2', 'a3']);
  });

  it('finds same-model fallbacks beyond the ranked head (the unranked rest, in registry order)', () => {
    const others = Array.from({ length: 40 }, (_, i) => `m${i}`);
    const big = compiled({
      models: [model('a'), ...others.map((id) => model(id))],
      endpoints: [
        endpoint('a1', 'a'),
        endpoint('a2', 'a'),
        endpoint('a3', 'a'),
        ...others.map((id) => endpoint(`${id}-1`, id)),
      ],
      policies: [
        policy('fast', { strategy: 'latency-first', fallback: { count: 2, mode: 'same-model-first' } }),
      ],
    });
    const latencies = [
      health('a1', { latency_ewma_ms: 10 }),
      health('a2', { latency_ewma_ms: 9000 }),
      health('a3', { latency_ewma_ms: 8000 }),
      ...others.map((id, i) => health(`${id}-1`, { latency_ewma_ms: 100 + i })),
    ];
    const d = route(request({ model: 'fast' }), { registry: big, health: snapshotOf(...latencies) }, ctx());
    expect(d.plan.primary.endpoint).toBe('a1');
    expect(d.plan.fallbacks.map((t) => t.endpoint)).toEqual(['a2', 'a3']);
  });

  it('carries endpoint details into targets', () => {
    const d = decide({ model: 'cheap-only', prompt_tokens: 1000, max_output_tokens: 0 });
    expect(d.plan.primary).toMatchObject({
      kind: 'openai-http',
      upstream_model: 'cheap',
      estimated_cost_usd: 0.0002,
      quality: 0.6,
    });
    expect(new Set(planEndpoints(d.plan)).size).toBe(planEndpoints(d.plan).length);
  });
});

describe('explanation', () => {
  it('accounts for every endpoint of the universe exactly once', () => {
    const d = decide({ hints: { region: 'eu-west-1' } });
    const all = [
      ...d.explanation.candidates.map((c) => c.endpoint),
      ...d.explanation.excluded.map((x) => x.endpoint),
    ];
    expect(all.sort()).toEqual(ZOO.endpoints?.map((e) => e.id).sort());
  });

  it('lists the random draws the strategy used', () => {
    const random = seededRandom(77);
    const given: number[] = [];
    const d = route(
      request(),
      { registry: zoo, health: NO_HEALTH },
      {
        now: NOW,
        random: () => {
          const u = random();
          given.push(u);
          return u;
        },
      },
    );
    expect(d.explanation.strategy).toBe('weighted');
    expect(d.explanation.draws).toEqual(given);
    expect(given.length).toBeGreaterThan(0);
  });

  it('builds the lists on first read, unchanged by decisions made in between', () => {
    const first = decide({ hints: { region: 'eu-west-1' } }, snapshotOf(health('cheap-eu', { inflight: 3 })));
    const expected = JSON.parse(
      JSON.stringify(
        decide({ hints: { region: 'eu-west-1' } }, snapshotOf(health('cheap-eu', { inflight: 3 }))),
      ),
    );
    for (let i = 0; i < 5; i++) decide({ task: 'embedding' }, NO_HEALTH, i);
    expect(JSON.parse(JSON.stringify(first))).toEqual(expected);
    expect(first.explanation.candidate_count).toBe(first.explanation.candidates.length);
    expect(first.explanation.excluded_count).toBe(first.explanation.excluded.length);
    expect(first.explanation.candidates).toBe(first.explanation.candidates); // built once
  });

  it('is deterministic: same inputs and seed give a deep-equal decision', () => {
    const h = snapshotOf(health('cheap-us', { latency_ewma_ms: 300, inflight: 2 }));
    expect(decide({ user: 'u1' }, h, 9)).toEqual(decide({ user: 'u1' }, h, 9));
  });

  it('serialises to the stable /v1/route shape', () => {
    const json = JSON.parse(JSON.stringify(decide())) as Decision;
    expect(json.plan.primary).toEqual(
      expect.objectContaining({
        endpoint: expect.any(String),
        model: expect.any(String),
        version: expect.any(String),
      }),
    );
    expect(json.explanation.candidates[0]).toEqual(
      expect.objectContaining({
        endpoint: expect.any(String),
        model: expect.any(String),
        score: expect.any(Number),
        parts: expect.any(Object),
      }),
    );
    expect(json.explanation.excluded[0]).toEqual(
      expect.objectContaining({
        endpoint: expect.any(String),
        model: expect.any(String),
        rule: expect.any(String),
        reason: expect.any(String),
      }),
    );
  });
});
