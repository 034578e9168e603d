// Property tests over random registries, health snapshots and requests: whatever the inputs, no
// plan target (primary, fallbacks, hedge, ensemble) breaks a hard constraint, `phi` only reaches
// HIPAA models, planned costs stay under the cap, the explanation accounts for every endpoint,
// decisions are reproducible, and weighted primaries converge to their shares.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  CompiledRegistry,
  DataClassification,
  Decision,
  EndpointHealth,
  HealthSnapshot,
  Model,
  RegistryInput,
  RouteRequest,
} from '../../../layers/core/src/index.ts';
import {
  compileRegistry,
  DATA_CLASSIFICATIONS,
  NoCandidateError,
  route,
  STRATEGY_NAMES,
  seededRandom,
  weightedShare,
} from '../../../layers/core/src/index.ts';
import { compiled, NOW, planEndpoints } from './fixtures.ts';

const TASKS = ['chat', 'summarization', 'sentiment'] as const;
const REGIONS = ['us-east-1', 'eu-west-1'] as const;
const FRESH_MS = 90_000;

const subset = <T>(items: readonly T[], min = 0) => fc.subarray([...items], { minLength: min });
/** Present about a quarter of the time: most requests set few hints, so most worlds can route. */
const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });

const arbModel = fc.record({
  tasks: fc.oneof(fc.constant<string[]>([...TASKS]), subset<string>(TASKS, 1)),
  domains: subset(['legal', 'medical']),
  context_window: fc.constantFrom(512, 4096, 32_768, 32_768, 131_072),
  input: fc.double({ min: 0, max: 0.01, noNaN: true }),
  output: fc.double({ min: 0, max: 0.02, noNaN: true }),
  per_call: fc.constantFrom(0, 0, 0.0001),
  compliance: subset(['hipaa', 'gdpr']),
  classes: fc.oneof(
    fc.constant<DataClassification[]>([...DATA_CLASSIFICATIONS]),
    subset(DATA_CLASSIFICATIONS, 1),
  ),
  regions: subset(REGIONS, 1),
  slo: fc.option(fc.integer({ min: 100, max: 8000 }), { nil: undefined }),
  status: fc.oneof(
    { arbitrary: fc.constant('active' as const), weight: 6 },
    fc.constantFrom('staged', 'failed', 'retired'),
  ),
  v2: rarely(fc.constantFrom('active', 'staged', 'failed')),
});

const arbEndpoint = fc.record({
  model: fc.nat(),
  useV2: fc.boolean(),
  region: fc.constantFrom(...REGIONS),
  state: fc.constantFrom('active', 'active', 'active', 'draining', 'disabled'),
  weight: fc.constantFrom(0, 0.5, 1, 1, 2),
  capacity: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
});

const arbHealth = fc.option(
  fc.record({
    status: fc.constantFrom('up', 'up', 'degraded', 'down', 'unknown'),
    circuit: fc.constantFrom('closed', 'closed', 'open', 'half-open'),
    age: fc.constantFrom(0, 1000, FRESH_MS + 1),
    ewma: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
    p95: fc.option(fc.integer({ min: 1, max: 20_000 }), { nil: undefined }),
    peak: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
    inflight: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
  }),
  { nil: undefined },
);

const arbPolicy = fc.record({
  strategy: fc.constantFrom(...STRATEGY_NAMES),
  models: rarely(fc.array(fc.nat(), { minLength: 1, maxLength: 4 })),
  count: fc.integer({ min: 0, max: 4 }),
  mode: fc.constantFrom('same-model-first', 'cross-model', 'same-model-only'),
  hedge: rarely(fc.integer({ min: 1, max: 500 })),
  ensemble: rarely(
    fc.record({
      size: fc.integer({ min: 2, max: 5 }),
      combine: fc.constantFrom('first-success', 'majority-vote', 'best-score'),
    }),
  ),
  canaryWeight: rarely(fc.double({ min: 0, max: 1, noNaN: true })),
});

const arbRequest = fc.record({
  task: fc.constantFrom('chat', 'chat', 'summarization', 'sentiment'),
  prompt_tokens: fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 2000 }), weight: 4 },
    { arbitrary: fc.integer({ min: 1, max: 40_000 }), weight: 1 },
  ),
  max_output_tokens: fc.integer({ min: 0, max: 1000 }),
  domain: rarely(fc.constantFrom('legal', 'medical')),
  data_classification: rarely(fc.constantFrom(...DATA_CLASSIFICATIONS)),
  region: rarely(fc.constantFrom(...REGIONS)),
  max_cost_usd: rarely(fc.double({ min: 0.000001, max: 0.05, noNaN: true })),
  max_latency_ms: rarely(fc.integer({ min: 50, max: 10_000 })),
  priority: rarely(fc.constantFrom('high', 'normal', 'low')),
  ensemble: rarely(fc.boolean()),
  user: rarely(fc.string({ minLength: 1, maxLength: 8 })),
  allowed: rarely(fc.array(fc.nat(), { maxLength: 4 })),
});

const arbWorld = fc
  .record({
    models: fc.array(arbModel, { minLength: 2, maxLength: 8 }),
    endpoints: fc.array(arbEndpoint, { minLength: 3, maxLength: 14 }),
    health: fc.array(arbHealth, { minLength: 14, maxLength: 14 }),
    policy: arbPolicy,
    request: arbRequest,
    seed: fc.integer(),
  })
  .map((w) => {
    const input: RegistryInput = { models: [], endpoints: [], policies: [] };
    w.models.forEach((m, i) => {
      const base = {
        id: `m${i}`,
        tasks: m.tasks,
        domains: m.domains,
        context_window: m.context_window,
        cost: { input_per_1k: m.input, output_per_1k: m.output, per_call: m.per_call },
        compliance: m.compliance,
        data_classifications: m.classes,
        regions: m.regions,
        ...(m.slo === undefined ? {} : { latency_slo_ms: m.slo }),
      };
      input.models?.push({ ...base, version: 'v1', status: m.status });
      if (m.v2) input.models?.push({ ...base, version: 'v2', status: m.v2 });
    });
    w.endpoints.forEach((e, i) => {
      const mi = e.model % w.models.length;
      const version = e.useV2 && w.models[mi]?.v2 ? 'v2' : 'v1';
      input.endpoints?.push({
        id: `e${i}`,
        model: `m${mi}`,
        version,
        kind: 'openai-http',
        target: `http://e${i}/v1`,
        region: e.region,
        weight: e.weight,
        state: e.state,
        ...(e.capacity === undefined ? {} : { capacity: { max_inflight: e.capacity } }),
      });
    });
    const p = w.policy;
    const canaryModel = w.models.findIndex((m) => m.v2 !== undefined);
    input.policies?.push({
      name: 'auto',
      match: { model: 'auto' },
      strategy: p.strategy,
      ...(p.models ? { models: [...new Set(p.models.map((n) => `m${n % w.models.length}`))] } : {}),
      fallback: { count: p.count, mode: p.mode },
      ...(p.hedge ? { hedge: { delay_ms: p.hedge } } : {}),
      ...(p.ensemble ? { ensemble: p.ensemble } : {}),
      canary:
        p.canaryWeight !== undefined && canaryModel >= 0
          ? [{ model: `m${canaryModel}`, stable: 'v1', candidate: 'v2', weight: p.canaryWeight }]
          : [],
    });
    const healthRecords: EndpointHealth[] = [];
    w.endpoints.forEach((_, i) => {
      const h = w.health[i];
      if (!h) return;
      healthRecords.push({
        endpoint: `e${i}`,
        status: h.status,
        circuit: h.circuit,
        checked_at: NOW - h.age,
        ...(h.ewma === undefined ? {} : { latency_ewma_ms: h.ewma }),
        ...(h.p95 === undefined ? {} : { latency_p95_ms: h.p95 }),
        ...(h.peak === undefined ? {} : { latency_peak_ewma_ms: h.peak }),
        ...(h.inflight === undefined ? {} : { inflight: h.inflight }),
      });
    });
    const r = w.request;
    const hints: RouteRequest['hints'] = {};
    if (r.domain) hints.domain = r.domain;
    if (r.data_classification) hints.data_classification = r.data_classification;
    if (r.region) hints.region = r.region;
    if (r.max_cost_usd !== undefined) hints.max_cost_usd = r.max_cost_usd;
    if (r.max_latency_ms !== undefined) hints.max_latency_ms = r.max_latency_ms;
    if (r.priority) hints.priority = r.priority;
    if (r.ensemble !== undefined) hints.ensemble = r.ensemble;
    const request: RouteRequest = {
      model: 'auto',
      task: r.task,
      prompt_tokens: r.prompt_tokens,
      max_output_tokens: r.max_output_tokens,
      tenant: {
        id: 'tenant',
        ...(r.allowed ? { allowed_models: r.allowed.map((n) => `m${n % w.models.length}`) } : {}),
      },
      hints,
      ...(r.user ? { user: r.user } : {}),
    };
    const health: HealthSnapshot = {
      endpoints: Object.fromEntries(healthRecords.map((h) => [h.endpoint, h])),
    };
    return { registry: compiled(input), health, request, seed: w.seed };
  });

type World = { registry: CompiledRegistry; health: HealthSnapshot; request: RouteRequest; seed: number };

const decide = (w: World): Decision | NoCandidateError => {
  try {
    return route(
      w.request,
      { registry: w.registry, health: w.health },
      { now: NOW, random: seededRandom(w.seed) },
    );
  } catch (err) {
    if (err instanceof NoCandidateError) return err;
    throw err;
  }
};

/** An independent statement of the hard constraints for one planned endpoint. */
function violations(w: World, endpointId: string, decision: Decision): string[] {
  const e = w.registry.registry.endpoints.find((x) => x.id === endpointId);
  if (!e) return [`unknown endpoint ${endpointId}`];
  const m = w.registry.modelsByKey.get(`${e.model}@${e.version}`) as Model;
  const policy = w.registry.registry.policies[0];
  const { hints } = w.request;
  const h = w.health.endpoints[e.id];
  const fresh = h !== undefined && NOW - h.checked_at <= FRESH_MS;
  const cost =
    (w.request.prompt_tokens / 1000) * m.cost.input_per_1k +
    (w.request.max_output_tokens / 1000) * m.cost.output_per_1k +
    m.cost.per_call;
  const canary = policy?.canary.find((c) => c.model === m.id);
  const out: string[] = [];
  if (policy?.models && !policy.models.includes(m.id)) out.push('policy-models');
  const allowed = w.request.tenant.allowed_models;
  if (allowed && !allowed.includes(m.id) && !allowed.includes(`${m.id}@${m.version}`)) out.push('tenant');
  if (m.status === 'failed' || m.status === 'retired') out.push('status');
  if (m.status === 'staged' && !canary) out.push('staged without canary');
  if (!m.tasks.includes(w.request.task)) out.push('task');
  if (hints.domain && !m.domains.includes(hints.domain)) out.push('domain');
  if (w.request.prompt_tokens + w.request.max_output_tokens > m.context_window) out.push('context');
  if (hints.data_classification && !m.data_classifications.includes(hints.data_classification))
    out.push('class');
  if (hints.data_classification === 'phi' && !m.compliance.includes('hipaa')) out.push('phi without hipaa');
  if (hints.region && (e.region !== hints.region || !m.regions.includes(hints.region))) out.push('region');
  if (e.state !== 'active') out.push('state');
  if (fresh && h?.status === 'down') out.push('down');
  if (fresh && h?.circuit === 'open') out.push('circuit open');
  if (hints.max_cost_usd !== undefined && cost > hints.max_cost_usd) out.push('cost');
  if (decision.explanation.excluded.some((x) => x.endpoint === e.id)) out.push('listed as excluded');
  return out;
}

describe('route properties', () => {
  it('never plans an endpoint that breaks a hard constraint (primary, fallbacks, hedge, ensemble)', () => {
    let planned = 0;
    let generated = 0;
    fc.assert(
      fc.property(arbWorld, (w) => {
        generated++;
        const d = decide(w);
        if (d instanceof NoCandidateError) return;
        planned++;
        for (const id of planEndpoints(d.plan)) expect(violations(w, id, d)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
    // The property is not vacuous (a ratio, so it holds at any numRuns: see test/mutation).
    expect(planned).toBeGreaterThan(generated * 0.15);
  });

  it('phi only reaches models with hipaa compliance', () => {
    let planned = 0;
    const phi = arbWorld.map((w) => ({
      ...w,
      request: { ...w.request, hints: { ...w.request.hints, data_classification: 'phi' as const } },
    }));
    let generated = 0;
    fc.assert(
      fc.property(phi, (w) => {
        generated++;
        const d = decide(w);
        if (d instanceof NoCandidateError) return;
        planned++;
        const targets = [d.plan.primary, ...d.plan.fallbacks, ...(d.plan.ensemble?.targets ?? [])];
        for (const t of targets) {
          const m = w.registry.modelsByKey.get(`${t.model}@${t.version}`) as Model;
          expect(m.compliance).toContain('hipaa');
          expect(m.data_classifications).toContain('phi');
        }
      }),
      { numRuns: 600 },
    );
    expect(planned).toBeGreaterThan(generated * 0.03);
  });

  it('the estimated cost of every planned target stays within max_cost_usd', () => {
    let planned = 0;
    const capped = fc
      .tuple(arbWorld, fc.double({ min: 0.00001, max: 0.02, noNaN: true }))
      .map(([w, cap]) => ({
        ...w,
        request: { ...w.request, hints: { ...w.request.hints, max_cost_usd: cap } },
      }));
    let generated = 0;
    fc.assert(
      fc.property(capped, (w) => {
        generated++;
        const d = decide(w);
        if (d instanceof NoCandidateError) return;
        planned++;
        const cap = w.request.hints.max_cost_usd as number;
        const targets = [d.plan.primary, ...d.plan.fallbacks, ...(d.plan.ensemble?.targets ?? [])];
        for (const t of targets) {
          const m = w.registry.modelsByKey.get(`${t.model}@${t.version}`) as Model;
          const cost =
            (w.request.prompt_tokens / 1000) * m.cost.input_per_1k +
            (w.request.max_output_tokens / 1000) * m.cost.output_per_1k +
            m.cost.per_call;
          expect(t.estimated_cost_usd).toBe(cost);
          expect(cost).toBeLessThanOrEqual(cap);
        }
      }),
      { numRuns: 600 },
    );
    expect(planned).toBeGreaterThan(generated * 0.08);
  });

  it('plans distinct targets and accounts for every endpoint once (candidate or excluded)', () => {
    fc.assert(
      fc.property(arbWorld, (w) => {
        const d = decide(w);
        const all = w.registry.registry.endpoints.map((e) => e.id).sort();
        if (d instanceof NoCandidateError) {
          expect(d.excluded.map((x) => x.endpoint).sort()).toEqual(all);
          expect(d.message).toContain(d.rule);
          return;
        }
        const seen = [
          ...d.explanation.candidates.map((c) => c.endpoint),
          ...d.explanation.excluded.map((x) => x.endpoint),
        ];
        expect(seen.sort()).toEqual(all);
        const chain = [d.plan.primary.endpoint, ...d.plan.fallbacks.map((t) => t.endpoint)];
        expect(new Set(chain).size).toBe(chain.length);
        const ens = d.plan.ensemble?.targets.map((t) => t.endpoint) ?? [];
        expect(new Set(ens).size).toBe(ens.length);
        if (d.plan.hedge) expect(d.plan.hedge.target).toEqual(d.plan.fallbacks[0]);
        expect(d.plan.attempt_timeout_ms).toBeLessThanOrEqual(d.plan.deadline_ms);
      }),
      { numRuns: 400 },
    );
  });

  it('is reproducible: same inputs and seed give a deep-equal decision', () => {
    fc.assert(
      fc.property(arbWorld, (w) => {
        const a = decide(w);
        const b = decide(w);
        if (a instanceof NoCandidateError) {
          expect(b).toBeInstanceOf(NoCandidateError);
          expect((b as NoCandidateError).message).toBe(a.message);
        } else {
          expect(b).toEqual(a);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('weighted primaries converge to score x weight shares over 20k seeded decisions', () => {
    let checked = 0;
    for (const w of fc.sample(arbWorld, { numRuns: 300, seed: 20_261_124 })) {
      if (checked === 6) break;
      const reg = w.registry.registry;
      const registry = compileRegistry({
        ...reg,
        policies: reg.policies.map((p) => ({ ...p, strategy: 'weighted' as const })),
      });
      const world = { ...w, registry };
      const d = decide(world);
      // Fallback-only candidates (a canary's stable version) are never the primary.
      const primaries =
        d instanceof NoCandidateError ? [] : d.explanation.candidates.filter((c) => !c.fallback_only);
      if (d instanceof NoCandidateError || primaries.length < 2) continue;
      const shares = primaries.map((c) => weightedShare(c.score, c.weight ?? 1));
      const total = shares.reduce((a, b) => a + b, 0);
      if (total === 0) continue;
      checked++;
      const counts = new Map<string, number>();
      const random = seededRandom(w.seed);
      const n = 20_000;
      for (let i = 0; i < n; i++) {
        const r = route(world.request, { registry, health: world.health }, { now: NOW, random });
        counts.set(r.plan.primary.endpoint, (counts.get(r.plan.primary.endpoint) ?? 0) + 1);
      }
      primaries.forEach((c, i) => {
        const expected = (shares[i] as number) / total;
        const observed = (counts.get(c.endpoint) ?? 0) / n;
        // 5 standard deviations of a binomial proportion, plus a little slack.
        const tolerance = 5 * Math.sqrt((expected * (1 - expected)) / n) + 0.002;
        expect(Math.abs(observed - expected)).toBeLessThan(tolerance);
      });
    }
    expect(checked).toBe(6);
  });
});
