// Properties of canary fallbacks over random worlds (a canaried model `llm` v1 stable / v2
// candidate next to other models; random endpoint states, health, strategies, fallback modes and
// counts, hedges, sticky keys): a candidate-pinned request's first fallbacks after the candidate
// are the stable version's routable endpoints, whenever one is routable; when no candidate
// endpoint can serve, stable does; the stable endpoints never change the primary (nor the draws) of
// a request the candidate can serve; a stable-pinned request never reaches the candidate.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  Decision,
  EndpointHealth,
  HealthSnapshot,
  PlanTarget,
  RegistryInput,
  RouteRequest,
} from '../../../layers/core/src/index.ts';
import { NoCandidateError, route, STRATEGY_NAMES, seededRandom } from '../../../layers/core/src/index.ts';
import { compiled, NOW } from './fixtures.ts';

const FRESH_MS = 90_000;

const arbEndpoint = fc.record({
  state: fc.constantFrom('active', 'active', 'active', 'draining'),
  weight: fc.constantFrom(0.5, 1, 2),
  health: fc.option(
    fc.record({
      status: fc.constantFrom('up', 'up', 'degraded', 'down'),
      circuit: fc.constantFrom('closed', 'closed', 'open', 'half-open'),
      age: fc.constantFrom(0, 1000, FRESH_MS + 1),
      inflight: fc.integer({ min: 0, max: 20 }),
      peak: fc.integer({ min: 10, max: 2000 }),
    }),
    { nil: undefined },
  ),
});

const arbWorld = fc.record({
  stable: fc.array(arbEndpoint, { minLength: 0, maxLength: 3 }),
  candidate: fc.array(arbEndpoint, { minLength: 0, maxLength: 3 }),
  others: fc.array(fc.array(arbEndpoint, { minLength: 1, maxLength: 2 }), { minLength: 0, maxLength: 2 }),
  onlyLlm: fc.boolean(),
  candidateStatus: fc.constantFrom('staged', 'active'),
  /** Whether the candidate version comes before the stable one in the registry (the scan's order). */
  candidateFirst: fc.boolean(),
  strategy: fc.constantFrom(...STRATEGY_NAMES),
  count: fc.integer({ min: 0, max: 4 }),
  mode: fc.constantFrom('same-model-first', 'cross-model', 'same-model-only'),
  hedge: fc.boolean(),
  weight: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
  user: fc.string({ minLength: 1, maxLength: 6 }),
  seed: fc.integer(),
});
type WorldSpec = typeof arbWorld extends fc.Arbitrary<infer T> ? T : never;
type Spec = WorldSpec['stable'][number];

interface World {
  input: RegistryInput;
  health: HealthSnapshot;
  request: RouteRequest;
  seed: number;
  /** Endpoint ids by version of `llm`, and whether each passes every constraint. */
  routable: Map<string, boolean>;
  count: number;
}

function build(w: WorldSpec): World {
  const stableModel = {
    id: 'llm',
    version: 'v1',
    tasks: ['chat'],
    context_window: 8192,
    regions: ['us-east-1'],
  };
  const candidateModel = { ...stableModel, version: 'v2', status: w.candidateStatus };
  const input: RegistryInput = {
    models: [
      ...(w.candidateFirst ? [candidateModel, stableModel] : [stableModel, candidateModel]),
      ...w.others.map((_, i) => ({
        id: `o${i}`,
        version: 'v1',
        tasks: ['chat'],
        context_window: 8192,
        regions: ['us-east-1'],
      })),
    ],
    endpoints: [],
    policies: [
      {
        name: 'auto',
        match: { model: 'auto' },
        strategy: w.strategy,
        models: w.onlyLlm ? ['llm'] : ['llm', ...w.others.map((_, i) => `o${i}`)],
        fallback: { count: w.count, mode: w.mode },
        ...(w.hedge ? { hedge: { delay_ms: 100 } } : {}),
        canary: [{ model: 'llm', stable: 'v1', candidate: 'v2', weight: w.weight }],
      },
    ],
  };
  const records: EndpointHealth[] = [];
  const routable = new Map<string, boolean>();
  const add = (id: string, modelId: string, version: string, e: Spec) => {
    input.endpoints?.push({
      id,
      model: modelId,
      version,
      kind: 'openai-http',
      target: `http://${id}/v1`,
      region: 'us-east-1',
      weight: e.weight,
      state: e.state as 'active' | 'draining',
    });
    const h = e.health;
    if (h) {
      records.push({
        endpoint: id,
        status: h.status as EndpointHealth['status'],
        circuit: h.circuit as EndpointHealth['circuit'],
        checked_at: NOW - h.age,
        inflight: h.inflight,
        latency_peak_ewma_ms: h.peak,
      });
    }
    const fresh = h !== undefined && h.age <= FRESH_MS;
    routable.set(id, e.state === 'active' && !(fresh && (h.status === 'down' || h.circuit === 'open')));
  };
  for (const [i, e] of w.candidate.entries()) add(`c${i}`, 'llm', 'v2', e);
  for (const [i, e] of w.stable.entries()) add(`s${i}`, 'llm', 'v1', e);
  for (const [m, eps] of w.others.entries())
    for (const [i, e] of eps.entries()) add(`o${m}-${i}`, `o${m}`, 'v1', e);
  return {
    input,
    health: { endpoints: Object.fromEntries(records.map((h) => [h.endpoint, h])) },
    request: {
      model: 'auto',
      task: 'chat',
      prompt_tokens: 50,
      max_output_tokens: 50,
      tenant: { id: 't' },
      hints: {},
      user: w.user,
    },
    seed: w.seed,
    routable,
    count: w.count,
  };
}

function decide(world: World, input = world.input): Decision | NoCandidateError {
  try {
    return route(
      world.request,
      { registry: compiled(input), health: world.health },
      { now: NOW, random: seededRandom(world.seed) },
    );
  } catch (err) {
    if (err instanceof NoCandidateError) return err;
    throw err;
  }
}

const pinnedVersion = (d: Decision) => d.explanation.versions.find((v) => v.model === 'llm')?.version;
const isStable = (t: PlanTarget) => t.model === 'llm' && t.version === 'v1';
const isCandidate = (t: PlanTarget) => t.model === 'llm' && t.version === 'v2';
const ids = (world: World, prefix: string) =>
  [...world.routable].filter(([id, ok]) => ok && id.startsWith(prefix)).map(([id]) => id);

const worlds = arbWorld.map(build);

describe('canary fallback properties', () => {
  it('candidate-pinned: the stable version`s routable endpoints follow the candidate, before any other fallback', () => {
    let checked = 0;
    fc.assert(
      fc.property(worlds, (world) => {
        const d = decide(world);
        if (d instanceof NoCandidateError || pinnedVersion(d) !== 'v2') return;
        const chain = [d.plan.primary, ...d.plan.fallbacks];
        const first = chain.findIndex((t) => t.model === 'llm');
        const stable = ids(world, 's');
        if (first < 0 || stable.length === 0 || !isCandidate(chain[first] as PlanTarget)) return;
        checked++;
        // Every stable target sits in one block right after the first candidate target, and the
        // block holds as many as fit in the policy's count, at least one.
        const stableAt = chain.flatMap((t, i) => (isStable(t) ? [i] : []));
        expect(stableAt.length).toBeGreaterThan(0);
        expect(stableAt).toEqual(stableAt.map((_, k) => first + 1 + k));
        expect(stableAt).toHaveLength(Math.min(stable.length, Math.max(world.count - first, 1)));
        if (first === 0) expect(isStable(d.plan.fallbacks[0] as PlanTarget)).toBe(true);
        for (const t of chain.filter(isStable)) expect(world.routable.get(t.endpoint)).toBe(true);
      }),
      { numRuns: 800 },
    );
    expect(checked).toBeGreaterThan(40);
  });

  it('candidate-pinned: the stable endpoints never change the primary or the draws while the candidate can serve', () => {
    let checked = 0;
    fc.assert(
      fc.property(worlds, (world) => {
        const d = decide(world);
        if (d instanceof NoCandidateError || pinnedVersion(d) !== 'v2' || ids(world, 'c').length === 0)
          return;
        checked++;
        expect(isStable(d.plan.primary)).toBe(false);
        expect(d.plan.ensemble?.targets.filter(isStable) ?? []).toEqual([]);
        const withoutStable = {
          ...world.input,
          endpoints: world.input.endpoints?.filter((e) => !(e.model === 'llm' && e.version === 'v1')),
        };
        const alone = decide(world, withoutStable);
        expect(alone).not.toBeInstanceOf(NoCandidateError);
        const a = alone as Decision;
        expect(a.plan.primary).toEqual(d.plan.primary);
        expect(a.explanation.draws).toEqual(d.explanation.draws);
      }),
      { numRuns: 600 },
    );
    expect(checked).toBeGreaterThan(40);
  });

  it('candidate-pinned: when no candidate endpoint can serve, stable does (for a policy of that model only)', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        worlds.filter((w) => w.input.policies?.[0]?.models?.length === 1),
        (world) => {
          const d = decide(world);
          if (d instanceof NoCandidateError) {
            // Only when nothing at all could serve.
            expect(ids(world, 's')).toEqual([]);
            return;
          }
          if (pinnedVersion(d) !== 'v2' || ids(world, 'c').length > 0 || ids(world, 's').length === 0) return;
          checked++;
          expect(isStable(d.plan.primary)).toBe(true);
          expect(d.explanation.versions[0]?.reason).toContain('stable v1 serves it');
        },
      ),
      { numRuns: 800 },
    );
    expect(checked).toBeGreaterThan(15);
  });

  it('stable-pinned: never the candidate, as primary, fallback, hedge or ensemble member', () => {
    let checked = 0;
    fc.assert(
      fc.property(worlds, (world) => {
        const d = decide(world);
        if (d instanceof NoCandidateError || pinnedVersion(d) !== 'v1') return;
        checked++;
        const planned = [
          d.plan.primary,
          ...d.plan.fallbacks,
          ...(d.plan.hedge ? [d.plan.hedge.target] : []),
          ...(d.plan.ensemble?.targets ?? []),
        ];
        expect(planned.filter(isCandidate)).toEqual([]);
        expect(d.explanation.candidates.filter((c) => c.fallback_only)).toEqual([]);
      }),
      { numRuns: 600 },
    );
    expect(checked).toBeGreaterThan(40);
  });
});
