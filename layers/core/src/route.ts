// route(): request + compiled registry + health snapshot -> plan and explanation. Pure: time and
// randomness come in `ctx`, so the same inputs and the same random draws give the same decision.
//
// 1. Policy (policy-match.ts): an alias policy for `request.model`, else the model it names under
//    the most specific general policy (or the built-in default); with no model, the policy that
//    matches the task (or the default). Policies may match on the request's features (`when`);
//    then the policy's `infer` may set the task and domain the caller left out
//    (understanding/understand-request.ts), and the request is routed with them. The candidate
//    universe is every endpoint for an alias or task policy (so the explanation says why each one
//    was not used), or the named model's endpoints (only the named version's for `id@version`).
// 2. Hard constraints. Each excluded endpoint gets ONE rule, the first that fails, in this order:
//    policy-models      the policy's `models` list does not include the model
//    tenant-allow-list  tenant.allowed_models lists neither `id` nor `id@version`
//    model-status       the version is failed or retired; or staged and not in a canary (an
//                       explicit `id@version` request may reach a staged version, for smoke tests)
//    canary-version     the sticky canary draw pinned the model to another version (canary.ts);
//                       an explicit `id@version` request bypasses the canary. Exception: for a
//                       request pinned to the candidate, the stable version is not excluded but
//                       fallback only (checked against the rules below like any other): never
//                       ranked for the primary, it leads the fallbacks after the candidate
//                       (plan.ts); when no candidate endpoint passes, stable's become regular
//                       candidates (placeFallbackOnly)
//    task               the model does not serve request.task
//    dimensions         request.dimensions is set and the model cannot return vectors of that
//                       length: its `embedding.dimensions` differs and it does not accept a
//                       smaller one (`accepts_dimensions`), or it declares no dimensions
//    domain             hints.domain is set and the model does not list it
//    context-window     prompt_tokens + max_output_tokens > context_window (or, when set,
//                       context_tokens: the longest single sequence, e.g. one embedding input)
//    data-classification hints.data_classification is not among the model's classifications,
//                       or it is `phi` and the model's compliance lacks `hipaa`
//    region             hints.region pins residency: endpoint.region must equal it and the
//                       model's regions must include it
//    n-choices          request.n > 1 and the endpoint does not set `supports_n`
//    endpoint-state     the endpoint is draining or disabled
//    health-down        fresh health says `down`
//    circuit-open       fresh health says the circuit is `open` (`half-open` is routable)
//    max-cost           estimated cost (score.ts; output tokens times n) > hints.max_cost_usd
//    max-latency        expected latency > hints.max_latency_ms, when it is known (measured or SLO)
//    Health older than options.health_fresh_ms (default 90 s), or missing, counts as `unknown`:
//    its figures and circuit are ignored; the endpoint is routable but penalised.
//    When nothing is left: NoCandidateError naming the rule that emptied the set, i.e. the latest
//    rule in this order that excluded anything (with a count per rule).
// 3. Score (score.ts): parts quality (prior for the task, 0.5 if none), cost (cheapest / own,
//    with a floor of 10% of the dearest so a free model does not zero the others), latency
//    (fastest / own, from EWMA with p95 tail, else SLO, else 1000 ms), load
//    (1 - inflight / capacity; inflight = the snapshot's shared figure when health is fresh, plus
//    `snapshot.load`, this router's own exact count). Score = weighted mean by the policy weights (priority high doubles
//    quality and halves cost, low the reverse) times the health factor (unknown 0.9, degraded 0.7,
//    half-open circuit x0.5).
// 4. Select with the policy's strategy (strategies/) over the regular candidates, ranking only as
//    many positions as the plan can use; with policy `affinity`, the affinity key's replica of the
//    strategy's model leads (affinity/affinity.ts); then build the plan (plan.ts) with the
//    fallback-only ones by score. Fallback-only candidates are scored against the regular ones' bounds, so they never
//    change a regular candidate's score, order or draws.
// Speed: the scan writes candidates into typed-array columns reused across decisions (no object
// per candidate); endpoint and health facts come from compact per-registry and per-snapshot
// columns (compile.ts, health-index.ts) instead of 10,000 scattered objects; exclusions are only
// counted. The explanation's `candidates` and `excluded` lists are built on first read by
// running the same (pure) scan again, recording every exclusion with its reason, into fresh
// columns; then they are kept. So a request that only needs the plan allocates a few KB, and
// reading the lists (or JSON.stringify) gives the same data either way. This relies on the
// inputs (request, registry, health snapshot) not being modified after route() returns: treat
// them as immutable. The shared scratch columns make route() non-reentrant, which is fine for a
// synchronous function (each worker thread has its own module instance).
import { affinityRandom, applyAffinity } from './affinity/affinity.ts';
import { affinityKey } from './affinity/affinity-key.ts';
import type { VersionChoice } from './canary.ts';
import { chooseCanaryVersion } from './canary.ts';
import type { CompiledModel, CompiledPolicy, CompiledRegistry } from './compile.ts';
import { modelKey } from './compile.ts';
import { NoCandidateError } from './errors.ts';
import type { HealthColumns } from './health-index.ts';
import { HEALTH_STATUSES, healthColumns } from './health-index.ts';
import { contextVector } from './learning/context.ts';
import { learnedCanaryArm } from './learning/learned-canary.ts';
import type { CompiledLearnedState } from './learning/learned-state.ts';
import { learningInput } from './learning/route-learning.ts';
import { buildPlan } from './plan.ts';
import type { ResolvedPolicy } from './policy-match.ts';
import { resolvePolicy } from './policy-match.ts';
import type { Canary, DataClassification, Endpoint, Model } from './registry.schema.ts';
import type {
  AffinityExplanation,
  CandidateExplanation,
  Decision,
  ExclusionExplanation,
  ExclusionRule,
  Explanation,
  HealthSnapshot,
  HealthStatus,
  LocalLoad,
  RouteContext,
  RouteRequest,
} from './route.types.ts';
import {
  costFloor,
  DEFAULT_LATENCY_MS,
  effectiveWeights,
  estimateCostUsd,
  HEALTH_FACTOR,
  healthFactor,
  LATENCY_FLOOR_MS,
  relativeToBest,
} from './score.ts';
import { learnedFigures, learnedStrategy, STRATEGIES } from './strategies/index.ts';
import type { CandidateTable, LearningInput } from './strategies/strategy.ts';
import { mayUseModel } from './tenant-view.ts';
import { explainEnsemble, understandRequest } from './understanding/understand-request.ts';

/** Default freshness window of health records. */
export const DEFAULT_HEALTH_FRESH_MS = 90_000;

/** Exclusion rules in the order they are checked (the first failing one is reported). */
export const EXCLUSION_RULES: readonly ExclusionRule[] = [
  'policy-models',
  'tenant-allow-list',
  'model-status',
  'canary-version',
  'task',
  'dimensions',
  'domain',
  'context-window',
  'data-classification',
  'region',
  'n-choices',
  'endpoint-state',
  'health-down',
  'circuit-open',
  'max-cost',
  'max-latency',
];
const RULE_INDEX = new Map(EXCLUSION_RULES.map((r, i) => [r, i]));
const MAX_ENSEMBLE = 5;
// Codes of HEALTH_STATUSES and CIRCUIT_STATES (health-index.ts).
const DOWN = 2;
const UNKNOWN = 3;
const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
// Endpoint-level rule codes in the scan (0: none).
const R_REGION = 1;
const R_STATE = 2;
const R_DOWN = 3;
const R_CIRCUIT = 4;
const R_COST = 5;
const R_LATENCY = 6;
const R_CHOICES = 7;
/** Score multiplier by health status code (a down endpoint never gets here). */
const STATUS_FACTOR = HEALTH_STATUSES.map((s) => healthFactor(s, 'closed'));

interface NoCandidateStats {
  largestContext: number;
  cheapestOverCap: number;
  fastestOverCap: number;
}

/** Candidate columns: index i of each is candidate i (slot: its position in registry.endpoints). */
class Columns {
  static readonly COUNT = 12;
  readonly slot: Float64Array;
  readonly quality: Float64Array;
  readonly load: Float64Array;
  readonly score: Float64Array;
  readonly weight: Float64Array;
  readonly cost: Float64Array;
  readonly latency: Float64Array;
  readonly peak: Float64Array;
  readonly inflight: Float64Array;
  readonly factor: Float64Array;
  readonly status: Float64Array;
  readonly capacity: Float64Array;
  /** Every column, for copying rows. */
  readonly all: readonly Float64Array[];

  constructor(readonly size: number) {
    const b = new Float64Array(size * Columns.COUNT);
    const col = (k: number) => b.subarray(k * size, (k + 1) * size);
    this.slot = col(0);
    this.quality = col(1);
    this.load = col(2);
    this.score = col(3);
    this.weight = col(4);
    this.cost = col(5);
    this.latency = col(6);
    this.peak = col(7);
    this.inflight = col(8);
    this.factor = col(9);
    this.status = col(10);
    this.capacity = col(11);
    this.all = Array.from({ length: Columns.COUNT }, (_, k) => col(k));
  }

  /** Copies candidate row `i` of `from` into row `j` of this. */
  copyRow(from: Columns, i: number, j: number): void {
    for (let k = 0; k < Columns.COUNT; k++)
      (this.all[k] as Float64Array)[j] = (from.all[k] as Float64Array)[i] as number;
  }
}

/** Columns reused by every decision (route() is synchronous); grown to the largest universe. */
let scratch = new Columns(0);
let extraScratch = new Columns(0);
const grownSize = (size: number): number => 2 ** Math.ceil(Math.log2(Math.max(64, size)));
function scratchColumns(size: number): Columns {
  if (scratch.size < size) scratch = new Columns(grownSize(size));
  return scratch;
}
/** Columns for a scan's fallback-only candidates (canary stables), grown on first use. */
function extraScratchColumns(size: number): Columns {
  if (extraScratch.size < size) extraScratch = new Columns(grownSize(size));
  return extraScratch;
}

/**
 * What one scan found: `n` candidates in the columns, then `f` fallback-only ones (a canary's
 * stable endpoints for a request pinned to its candidate) at `[n, n + f)`; the exclusions and the
 * canary choices. The cost and latency bounds are the first `n`'s.
 */
interface Scan {
  n: number;
  f: number;
  minCost: number;
  maxCost: number;
  minLatency: number;
  universeSize: number;
  readonly ex: Exclusions;
  readonly versions: VersionChoice[];
  readonly stats: NoCandidateStats;
}

/**
 * Decides where `request` goes: the plan (primary, fallbacks, timeouts, hedge, ensemble) and an
 * explanation of every candidate and exclusion. Throws ModelNotFoundError for an unknown model
 * or alias and NoCandidateError when the hard constraints leave nothing. `snapshot.load` adds this
 * router container's own in-flight requests to the snapshot's shared figures.
 */
export function route(
  asked: RouteRequest,
  snapshot: {
    registry: CompiledRegistry;
    health: HealthSnapshot;
    load?: LocalLoad;
    /** The learned strategy's state (refit from feedback); priors only when absent. */
    learned?: CompiledLearnedState;
  },
  ctx: RouteContext,
): Decision {
  const { registry } = snapshot;
  const resolved = resolvePolicy(registry, asked);
  const policy = resolved.compiled.policy;
  // The policy's `infer` may set task and domain from the request's features (understanding/).
  const understood = understandRequest(asked, resolved, registry);
  const request = understood?.request ?? asked;
  // A streaming caller waits for the first token: latency-aware strategies score that.
  const hc = healthColumns(registry, snapshot.health, request.stream === true ? 'ttft' : 'latency');
  const local = snapshot.load?.registry === registry ? snapshot.load.inflight : undefined;
  const size = universeSize(registry, resolved);
  const cols = scratchColumns(size);
  const clock: ScanClock = { now: ctx.now, fresh: ctx.options?.health_fresh_ms ?? DEFAULT_HEALTH_FRESH_MS };
  const inputs: ScanInputs = { registry, resolved, hc, local, request, clock, size };
  const scan = scanCandidates(inputs, cols, extraScratchColumns, false);
  const { n, f } = scan;
  const recording = new Recording(inputs);
  if (n === 0) {
    const full = recording.get().scan;
    throw noCandidate(
      request,
      resolved.model,
      policy.name,
      policy.models,
      full.ex.list(),
      full.universeSize,
      full.stats,
    );
  }
  scoreCandidates(cols, n + f, scan, policy, request);

  const table: CandidateTable = {
    length: n,
    score: cols.score,
    quality: cols.quality,
    weight: cols.weight,
    cost: cols.cost,
    latency: cols.latency,
    peak: cols.peak,
    inflight: cols.inflight,
    capacity: cols.capacity,
  };
  // Rank enough positions for the primary, the fallbacks and the largest ensemble, with slack
  // for the fallback modes that skip over some; the rest stays unranked (cheap at 10k endpoints).
  const limit = Math.min(n, Math.max(16, 2 * (1 + policy.fallback.count + MAX_ENSEMBLE)));
  // Conversation affinity (affinity/affinity.ts): the strategy picks the model, with draws seeded
  // by the affinity key; the key's replica on the model's bounded-load ring leads.
  const affinity = policy.affinity?.enabled === true ? policy.affinity : undefined;
  const key = affinity ? affinityKey(request) : undefined;
  // Canary of the learned strategy: the request's sticky arm decides which strategy plans.
  const canary = policy.strategy !== 'learned' ? policy.learning?.canary : undefined;
  const arm = canary
    ? learnedCanaryArm(
        policy.name,
        request.hints.sticky_key ?? request.user ?? request.tenant.id,
        canary.weight,
      )
    : undefined;
  const servesLearned = policy.strategy === 'learned' || arm === 'learned';
  const shadowing = !servesLearned && policy.learning?.shadow === true;
  const learning =
    servesLearned || shadowing
      ? learningInput(request, policy, registry, snapshot.learned, cols.slot, n, true)
      : undefined;
  const picked = (servesLearned ? learnedStrategy : STRATEGIES[policy.strategy]).select(
    table,
    key ? affinityRandom(key) : ctx.random,
    limit,
    learning && !shadowing ? { learning } : undefined,
  );
  // Shadow: the learned choice after the served one (its draws come after, so the plan is the
  // same as without the shadow), for the decision log.
  const shadow =
    shadowing && learning ? learnedStrategy.select(table, ctx.random, 1, { learning }) : undefined;
  const { draws, propensity, explored } = picked;
  let order: readonly number[] = picked.order;
  let affinityNote: AffinityExplanation | undefined;
  if (affinity) {
    const slot = cols.slot;
    const chosen = applyAffinity({
      registry,
      settings: affinity,
      key,
      order,
      count: n,
      slot,
      inflight: cols.inflight,
    });
    order = chosen.order;
    affinityNote = chosen.explanation;
  }
  const plan = buildPlan({
    policy,
    request,
    order,
    count: n,
    fallbackOnly: f > 0 ? rankFallbackOnly(cols, n, f) : undefined,
    candidates: {
      slot: cols.slot,
      endpoints: registry.registry.endpoints,
      modelIds: registry.endpointColumns.modelIds,
      cost: cols.cost,
      quality: cols.quality,
      models: registry.modelsByKey,
    },
  });

  let candidateList: CandidateExplanation[] | undefined;
  const explanation: Explanation = {
    policy: policy.name,
    strategy: servesLearned ? 'learned' : policy.strategy,
    ...(arm ? { arm } : {}),
    priority: request.hints.priority ?? 'normal',
    get candidates(): CandidateExplanation[] {
      if (!candidateList) {
        const { scan: full, cols: c } = recording.get();
        const fresh =
          learning && !shadowing
            ? learningInput(request, policy, registry, snapshot.learned, c.slot, full.n)
            : undefined;
        candidateList = explainCandidates(registry, full, c, policy, request, fresh);
      }
      return candidateList;
    },
    get excluded(): ExclusionExplanation[] {
      return recording.get().scan.ex.list();
    },
    candidate_count: n + f,
    excluded_count: scan.ex.total,
    draws,
    versions: scan.versions,
    ...(affinityNote ? { affinity: affinityNote } : {}),
  };
  if (shadow) {
    const e = registry.registry.endpoints[cols.slot[shadow.order[0] as number] as number] as Endpoint;
    explanation.shadow = {
      model: e.model,
      version: e.version,
      endpoint: e.id,
      propensity: shadow.propensity ?? 1,
      explored: shadow.explored ?? false,
    };
  }
  if (learning && !shadowing) {
    let context: number[] | undefined;
    explanation.learned = {
      propensity: propensity ?? 1,
      prior: cols.quality[order[0] as number] as number,
      explored: explored ?? false,
      lambda: learning.lambda,
      explore: learning.explore,
      get context(): number[] {
        context ??= Array.from(contextVector(request.features, request));
        return context;
      },
      events: snapshot.learned?.events ?? 0,
    };
  }
  if (understood) {
    explainEnsemble(understood, policy, plan);
    explanation.understanding = understood.explanation;
  }
  return { plan, explanation };
}

/** Fallback-only candidates `[n, n + f)` by descending score, then index (deterministic: no draws). */
function rankFallbackOnly(c: Columns, n: number, f: number): number[] {
  const out = Array.from({ length: f }, (_, i) => n + i);
  return out.sort((a, b) => (c.score[b] as number) - (c.score[a] as number) || a - b);
}

/** The time a scan judges freshness at (copied, so a caller reusing its context cannot skew a later rescan). */
interface ScanClock {
  readonly now: number;
  readonly fresh: number;
}

/** The recorded scan behind the explanation lists: run on first use, into fresh columns. */
class Recording {
  #result: { scan: Scan; cols: Columns } | undefined;

  constructor(private readonly inputs: ScanInputs) {}

  get(): { scan: Scan; cols: Columns } {
    if (!this.#result) {
      const { size } = this.inputs;
      const cols = new Columns(size);
      let extras: Columns | undefined;
      const scan = scanCandidates(this.inputs, cols, () => (extras ??= new Columns(size)), true);
      this.#result = { scan, cols };
    }
    return this.#result;
  }
}

function universeSize(registry: CompiledRegistry, resolved: ResolvedPolicy): number {
  if (resolved.model === undefined) return registry.endpointCount;
  let size = 0;
  for (const cm of registry.compiledById.get(resolved.model) ?? []) size += cm.endpoints.length;
  return size;
}

/** The candidate list of the explanation, from a recorded scan's columns. */
function explainCandidates(
  registry: CompiledRegistry,
  scan: Scan,
  c: Columns,
  policy: CompiledPolicy['policy'],
  request: RouteRequest,
  learning: LearningInput | undefined,
): CandidateExplanation[] {
  const floor = scoreCandidates(c, scan.n + scan.f, scan, policy, request);
  const endpoints = registry.registry.endpoints;
  const figures =
    learning &&
    learnedFigures(
      {
        length: scan.n,
        score: c.score,
        quality: c.quality,
        weight: c.weight,
        cost: c.cost,
        latency: c.latency,
        peak: c.peak,
        inflight: c.inflight,
        capacity: c.capacity,
      },
      learning,
    );
  return Array.from({ length: scan.n + scan.f }, (_, i) => {
    const e = endpoints[c.slot[i] as number] as Endpoint;
    const explained: CandidateExplanation = {
      endpoint: e.id,
      model: e.model,
      version: e.version,
      score: c.score[i] as number,
      parts: {
        quality: c.quality[i] as number,
        cost: relativeToBest(scan.minCost, c.cost[i] as number, floor),
        latency: relativeToBest(scan.minLatency, c.latency[i] as number, LATENCY_FLOOR_MS),
        load: c.load[i] as number,
      },
      estimated_cost_usd: c.cost[i] as number,
      expected_latency_ms: c.latency[i] as number,
      weight: c.weight[i] as number,
      health: HEALTH_STATUSES[c.status[i] as number] as HealthStatus,
      inflight: c.inflight[i] as number,
      peak_ewma_ms: c.peak[i] as number,
      capacity: c.capacity[i] as number,
    };
    if (i >= scan.n) explained.fallback_only = true;
    else if (figures) {
      explained.learned = {
        estimate: figures.estimate[i] as number,
        uncertainty: figures.width[i] as number,
        utility: figures.greedy[i] as number,
        optimistic: figures.optimist[i] as number,
      };
    }
    return explained;
  });
}

/** Scores the `n` candidates in place; returns the cost floor used for the cost part. */
function scoreCandidates(
  c: Columns,
  n: number,
  scan: Scan,
  policy: CompiledPolicy['policy'],
  request: RouteRequest,
): number {
  const w = effectiveWeights(policy.weights, request.hints.priority ?? 'normal');
  const sum = w.quality + w.cost + w.latency + w.load;
  const floor = costFloor(scan.maxCost);
  const { minCost, minLatency } = scan;
  for (let i = 0; i < n; i++) {
    const costPart = relativeToBest(minCost, c.cost[i] as number, floor);
    const latencyPart = relativeToBest(minLatency, c.latency[i] as number, LATENCY_FLOOR_MS);
    const base =
      sum > 0
        ? (w.quality * (c.quality[i] as number) +
            w.cost * costPart +
            w.latency * latencyPart +
            w.load * (c.load[i] as number)) /
          sum
        : 1;
    c.score[i] = base * (c.factor[i] as number);
  }
  return floor;
}

/** What a scan reads besides its output columns (the same for the decision and its recording). */
interface ScanInputs {
  readonly registry: CompiledRegistry;
  readonly resolved: ResolvedPolicy;
  readonly hc: HealthColumns;
  /** This container's own in-flight requests by registry slot, when the router knows them. */
  readonly local: ArrayLike<number> | undefined;
  readonly request: RouteRequest;
  readonly clock: ScanClock;
  /** The universe's size: every candidate fits in columns of this size. */
  readonly size: number;
}

// What a canaried model version is to a request: its pinned version, the stable version of a
// request pinned to the candidate (fallback only), or another version (excluded).
const PINNED = 0;
const FALLBACK_ONLY = 1;
const OTHER_VERSION = 2;

/**
 * The hard constraints over the universe: candidates into `c` (fallback-only ones into the
 * columns `extraColumns` gives, then moved after the others); exclusions counted per rule, and
 * with `record` also listed with their reasons (the decision itself only needs the counts).
 */
function scanCandidates(
  inputs: ScanInputs,
  c: Columns,
  extraColumns: (size: number) => Columns,
  record: boolean,
): Scan {
  const { registry, resolved, hc, local, request, clock, size } = inputs;
  const { policy, canaries, modelSet } = resolved.compiled;
  const { hints, task, tenant } = request;
  const { now, fresh } = clock;
  const promptTokens = request.prompt_tokens;
  const outputTokens = request.max_output_tokens;
  const neededTokens = request.context_tokens ?? promptTokens + outputTokens;
  // Every choice is generated (and billed): the cost counts the output n times.
  const choices = request.n ?? 1;
  const billedOutput = outputTokens * choices;
  const dimensions = request.dimensions;
  const classification = hints.data_classification;
  const region = hints.region;
  const regionId = region === undefined ? -1 : (registry.regionIds.get(region) ?? -2);
  const domain = hints.domain;
  const costCap = hints.max_cost_usd ?? Number.POSITIVE_INFINITY;
  const latencyCap = hints.max_latency_ms ?? Number.POSITIVE_INFINITY;
  const allowed = tenant.allowed_models;
  const pinVersion = resolved.version;
  const universe: readonly CompiledModel[] =
    resolved.model === undefined ? registry.models : (registry.compiledById.get(resolved.model) ?? []);
  const ec = registry.endpointColumns;
  const ex = new Exclusions(registry.registry.endpoints, record);
  const versions: VersionChoice[] = [];
  const pins: CanaryPins = {
    canaries,
    stickyKey: hints.sticky_key ?? request.user ?? tenant.id,
    registry,
    choices: undefined,
    versions,
  };
  const stats: NoCandidateStats = {
    largestContext: 0,
    cheapestOverCap: Number.POSITIVE_INFINITY,
    fastestOverCap: Number.POSITIVE_INFINITY,
  };
  const cold: EndpointScan = { ex, hc, stats, request };
  // The columns written now: `c`, or the fallback-only columns `x` for a canary's stable version.
  let into = c;
  let { slot, quality, load, weight, cost, latency, peak, inflight, factor, status, capacity } = c;
  let x: Columns | undefined;
  let f = 0;
  /** Regular candidates of each canaried model (its pinned version's endpoints). */
  let pinnedCount: Map<string, number> | undefined;
  let minCost = Number.POSITIVE_INFINITY;
  let maxCost = 0;
  let minLatency = Number.POSITIVE_INFINITY;
  let universeCount = 0;
  let n = 0;
  if (resolved.model !== undefined && pinVersion !== undefined) {
    versions.push({ model: resolved.model, version: pinVersion, reason: 'requested explicitly (no canary)' });
  }

  for (const cm of universe) {
    const m = cm.model;
    if (pinVersion !== undefined && m.version !== pinVersion) continue;
    const slots = cm.slots;
    const count = slots.length;
    if (count === 0) continue;
    universeCount += count;

    // Model-level rules, in order; the reason string is only built when recording.
    let rule: ExclusionRule | undefined;
    let role = PINNED;
    const canary = pinVersion === undefined ? canaries.get(m.id) : undefined;
    if (modelSet !== undefined && !modelSet.has(m.id)) rule = 'policy-models';
    else if (allowed !== undefined && !allowed.includes(m.id) && !allowed.includes(cm.key))
      rule = 'tenant-allow-list';
    else if (m.status === 'failed' || m.status === 'retired') rule = 'model-status';
    else if (
      m.status === 'staged' &&
      pinVersion === undefined &&
      !(canary && (canary.candidate === m.version || canary.stable === m.version))
    ) {
      rule = 'model-status';
    } else if (canary !== undefined) {
      role = canaryRole(pins, canary, m.version);
      if (role === OTHER_VERSION) rule = 'canary-version';
    }
    if (rule === undefined) {
      if (!m.tasks.includes(task)) rule = 'task';
      else if (dimensions !== undefined && !canReturnDimensions(m, dimensions)) rule = 'dimensions';
      else if (domain !== undefined && !m.domains.includes(domain)) rule = 'domain';
      else if (neededTokens > m.context_window) {
        rule = 'context-window';
        stats.largestContext = Math.max(stats.largestContext, m.context_window);
      } else if (classification !== undefined && !m.data_classifications.includes(classification)) {
        rule = 'data-classification';
      } else if (classification === 'phi' && !m.compliance.includes('hipaa')) rule = 'data-classification';
      else if (region !== undefined && !m.regions.includes(region)) rule = 'region';
    }
    if (rule !== undefined) {
      const reason = record ? modelReason(rule, cm, policy, request, pins) : '';
      for (let j = 0; j < count; j++) ex.add(slots[j] as number, rule, reason);
      continue;
    }

    const fallbackOnly = role === FALLBACK_ONLY;
    if (fallbackOnly && x === undefined) x = extraColumns(size);
    const target = fallbackOnly && x !== undefined ? x : c;
    if (target !== into) {
      into = target;
      ({ slot, quality, load, weight, cost, latency, peak, inflight, factor, status, capacity } = target);
    }
    let k = fallbackOnly ? f : n;
    const first = k;
    let modelMinLatency = Number.POSITIVE_INFINITY;
    // Endpoint-level rules, reading compact columns. The hot path only computes a rule code;
    // the reason strings are built in a separate (cold) function for the excluded few.
    const modelCost = estimateCostUsd(m, promptTokens, billedOutput);
    const q = m.quality[task] ?? 0.5;
    const slo = m.latency_slo_ms ?? -1;
    for (let j = 0; j < count; j++) {
      const s = slots[j] as number;
      const isFresh = now - (hc.checkedAt[s] as number) <= fresh;
      const st = isFresh ? (hc.status[s] as number) : UNKNOWN;
      const circuit = isFresh ? (hc.circuit[s] as number) : CLOSED;
      // Latencies: -1 means unknown (see health-index.ts).
      const measured = isFresh ? (hc.measured[s] as number) : -1;
      const known = measured >= 0 ? measured : slo;
      let code = 0;
      if (regionId !== -1 && ec.region[s] !== regionId) code = R_REGION;
      else if (choices > 1 && ec.supportsN[s] === 0) code = R_CHOICES;
      else if (ec.state[s] !== 0) code = R_STATE;
      else if (st === DOWN) code = R_DOWN;
      else if (circuit === OPEN) code = R_CIRCUIT;
      else if (modelCost > costCap) code = R_COST;
      else if (known > latencyCap) code = R_LATENCY;
      if (code !== 0) {
        // Only ints and objects cross into the cold path: passing a double would make the JIT box
        // it on every iteration, excluded or not.
        excludeEndpoint(cold, code, s, m, isFresh);
        continue;
      }
      // `+`: an imported binding is an untyped load for the JIT, and mixing it with a float
      // here would box `expected` on every iteration; the unary plus keeps it a float.
      const expected = known >= 0 ? known : +DEFAULT_LATENCY_MS;
      // Other routers' shares count only with fresh health; this container's own always does.
      const busy =
        (isFresh ? (hc.inflight[s] as number) : 0) + (local === undefined ? 0 : (local[s] as number));
      const cap = ec.capacity[s] as number;
      const p = isFresh ? (hc.peak[s] as number) : -1;
      slot[k] = s;
      quality[k] = q;
      load[k] = 1 - Math.min(1, busy / cap);
      weight[k] = ec.weight[s] as number;
      cost[k] = modelCost;
      latency[k] = expected;
      peak[k] = p >= 0 ? p : expected;
      inflight[k] = busy;
      status[k] = st;
      capacity[k] = cap;
      factor[k] = (STATUS_FACTOR[st] as number) * (circuit === HALF_OPEN ? HEALTH_FACTOR['half-open'] : 1);
      if (expected < modelMinLatency) modelMinLatency = expected;
      k++;
    }
    if (k === first) continue;
    if (fallbackOnly) {
      f = k;
      continue;
    }
    n = k;
    if (modelCost < minCost) minCost = modelCost;
    if (modelCost > maxCost) maxCost = modelCost;
    if (modelMinLatency < minLatency) minLatency = modelMinLatency;
    if (canary !== undefined) {
      pinnedCount ??= new Map();
      pinnedCount.set(m.id, (pinnedCount.get(m.id) ?? 0) + k - first);
    }
  }
  const scan: Scan = {
    n,
    f: 0,
    minCost,
    maxCost,
    minLatency,
    universeSize: universeCount,
    ex,
    versions,
    stats,
  };
  if (x !== undefined && f > 0) placeFallbackOnly(scan, c, x, f, pinnedCount, pins);
  return scan;
}

/** Where a canaried model version stands for this request (the canary's sticky draw, once per model). */
function canaryRole(pins: CanaryPins, canary: Canary, version: string): number {
  const pinned = pinCanary(pins, canary.model).version;
  if (pinned === version) return PINNED;
  return version === canary.stable && pinned === canary.candidate ? FALLBACK_ONLY : OTHER_VERSION;
}

/**
 * Moves the `f` fallback-only candidates of `x` into `c` after the scan's regular ones, and says
 * so in the canary choice. A model whose pinned candidate has no regular candidate left (down,
 * circuit open, too small a context...) gets its stable endpoints as regular candidates instead:
 * the stable version then serves, as it would have for a request pinned to it.
 */
function placeFallbackOnly(
  scan: Scan,
  c: Columns,
  x: Columns,
  f: number,
  pinnedCount: ReadonlyMap<string, number> | undefined,
  pins: CanaryPins,
): void {
  const modelIds = pins.registry.endpointColumns.modelIds;
  const modelAt = (i: number) => modelIds[x.slot[i] as number] as string;
  const promoted = (model: string) => (pinnedCount?.get(model) ?? 0) === 0;
  for (let i = 0; i < f; i++) {
    if (!promoted(modelAt(i))) continue;
    c.copyRow(x, i, scan.n++);
    const cost = x.cost[i] as number;
    if (cost < scan.minCost) scan.minCost = cost;
    if (cost > scan.maxCost) scan.maxCost = cost;
    if ((x.latency[i] as number) < scan.minLatency) scan.minLatency = x.latency[i] as number;
  }
  for (let i = 0; i < f; i++) if (!promoted(modelAt(i))) c.copyRow(x, i, scan.n + scan.f++);
  const noted = new Set<string>();
  for (let i = 0; i < f; i++) {
    const model = modelAt(i);
    const choice = pins.choices?.get(model);
    const canary = pins.canaries.get(model);
    if (noted.has(model) || !choice || !canary) continue;
    noted.add(model);
    choice.reason += promoted(model)
      ? `; no ${canary.candidate} endpoint can serve this request: stable ${canary.stable} serves it`
      : `; stable ${canary.stable} endpoints are its first fallbacks`;
  }
}

/** Why model version `cm` fails `rule` for this request (built only for recorded scans). */
function modelReason(
  rule: ExclusionRule,
  cm: CompiledModel,
  policy: CompiledPolicy['policy'],
  request: RouteRequest,
  pins: CanaryPins,
): string {
  const m = cm.model;
  const { hints, task } = request;
  switch (rule) {
    case 'policy-models':
      // Only the models the tenant may use: the reason must not name the others.
      return `model ${m.id} is not in policy "${policy.name}" models [${usableModels(policy.models, request)}]`;
    case 'tenant-allow-list':
      return `tenant "${request.tenant.id}" may not use ${cm.key}`;
    case 'model-status':
      return m.status === 'staged'
        ? `version ${m.version} is staged: it gets traffic only through a canary`
        : `version ${m.version} is ${m.status}${m.status_reason ? `: ${m.status_reason}` : ''}`;
    case 'canary-version': {
      const choice = pinCanary(pins, m.id);
      return `canary pinned this request to ${m.id}@${choice.version} (${choice.reason})`;
    }
    case 'task':
      return `model does not serve task "${task}" (serves ${m.tasks.join(', ')})`;
    case 'dimensions':
      return m.embedding === undefined
        ? `model declares no embedding dimensions, so it cannot promise ${request.dimensions}`
        : m.embedding.accepts_dimensions
          ? `model returns at most ${m.embedding.dimensions} dimensions, ${request.dimensions} asked`
          : `model returns ${m.embedding.dimensions} dimensions and accepts no other, ${request.dimensions} asked`;
    case 'domain':
      return `model does not serve domain "${hints.domain}"${m.domains.length ? ` (serves ${m.domains.join(', ')})` : ''}`;
    case 'context-window':
      return request.context_tokens === undefined
        ? `needs ~${request.prompt_tokens} prompt + ${request.max_output_tokens} output tokens, context window is ${m.context_window}`
        : `the longest input needs ~${request.context_tokens} tokens, context window is ${m.context_window}`;
    case 'data-classification':
      return m.data_classifications.includes(hints.data_classification as DataClassification)
        ? '"phi" data may only go to HIPAA-eligible models; this one is not (no "hipaa" compliance)'
        : `model may not receive "${hints.data_classification}" data (accepts ${m.data_classifications.join(', ')})`;
    default:
      return `model does not run in region ${hints.region} (runs in ${m.regions.join(', ')})`;
  }
}

interface EndpointScan {
  readonly ex: Exclusions;
  readonly hc: HealthColumns;
  readonly stats: NoCandidateStats;
  readonly request: RouteRequest;
}

/** Counts (and, when recording, lists) an endpoint-level exclusion: the cold path of the scan. */
function excludeEndpoint(x: EndpointScan, code: number, s: number, m: Model, isFresh: boolean): void {
  const { ex, hc, stats, request } = x;
  const hints = request.hints;
  if (code === R_REGION) {
    ex.add(s, 'region', ex.recording ? ex.regionReason(s, hints.region as string) : '');
  } else if (code === R_CHOICES) {
    const why = ex.recording
      ? `endpoint does not return n > 1 choices (no supports_n), n = ${request.n} asked`
      : '';
    ex.add(s, 'n-choices', why);
  } else if (code === R_STATE) {
    ex.add(s, 'endpoint-state', ex.recording ? `endpoint is ${ex.endpointState(s)}` : '');
  } else if (code === R_DOWN) {
    ex.add(s, 'health-down', ex.recording ? (hc.records[s]?.reason ?? 'health check reports down') : '');
  } else if (code === R_CIRCUIT) {
    const why = ex.recording ? hc.records[s]?.reason : undefined;
    ex.add(s, 'circuit-open', why ? `circuit breaker is open: ${why}` : 'circuit breaker is open');
  } else if (code === R_COST) {
    const cost = estimateCostUsd(m, request.prompt_tokens, request.max_output_tokens * (request.n ?? 1));
    const why = ex.recording
      ? `estimated cost $${fmt(cost)} exceeds max_cost_usd $${hints.max_cost_usd}`
      : '';
    ex.add(s, 'max-cost', why);
    stats.cheapestOverCap = Math.min(stats.cheapestOverCap, cost);
  } else {
    const measured = isFresh ? (hc.measured[s] as number) : -1;
    const known = measured >= 0 ? measured : (m.latency_slo_ms ?? -1);
    const source = measured >= 0 ? 'measured' : 'SLO';
    const why = ex.recording
      ? `expected latency ${Math.round(known)} ms (${source}) exceeds max_latency_ms ${hints.max_latency_ms}`
      : '';
    ex.add(s, 'max-latency', why);
    stats.fastestOverCap = Math.min(stats.fastestOverCap, known);
  }
}

/**
 * Exclusions of one scan: always a count; when recording, also each one's registry slot, rule
 * and reason, and `list()` builds (once) the explanation entries.
 */
class Exclusions {
  total = 0;
  readonly slots: number[] = [];
  readonly rules: ExclusionRule[] = [];
  readonly reasons: string[] = [];
  #list: ExclusionExplanation[] | undefined;
  #regionReasons: Map<string, string> | undefined;

  constructor(
    private readonly endpoints: readonly Endpoint[],
    readonly recording: boolean,
  ) {}

  add(slot: number, rule: ExclusionRule, reason: string): void {
    this.total++;
    if (!this.recording) return;
    this.slots.push(slot);
    this.rules.push(rule);
    this.reasons.push(reason);
  }

  endpointState(slot: number): string {
    return (this.endpoints[slot] as Endpoint).state;
  }

  /** The residency reason for an endpoint, shared by all endpoints of one region. */
  regionReason(slot: number, pinned: string): string {
    const at = (this.endpoints[slot] as Endpoint).region;
    this.#regionReasons ??= new Map();
    let why = this.#regionReasons.get(at);
    if (why === undefined) {
      why = `endpoint runs in ${at}, residency pinned to ${pinned}`;
      this.#regionReasons.set(at, why);
    }
    return why;
  }

  list(): ExclusionExplanation[] {
    this.#list ??= this.slots.map((slot, i) => {
      const e = this.endpoints[slot] as Endpoint;
      return {
        endpoint: e.id,
        model: e.model,
        version: e.version,
        rule: this.rules[i] as ExclusionRule,
        reason: this.reasons[i] as string,
      };
    });
    return this.#list;
  }
}

interface CanaryPins {
  readonly canaries: ReadonlyMap<string, Canary>;
  readonly stickyKey: string;
  readonly registry: CompiledRegistry;
  choices: Map<string, VersionChoice> | undefined;
  readonly versions: VersionChoice[];
}

/** The version the policy's canary pins `model` to for this request (drawn once per model). */
function pinCanary(pins: CanaryPins, model: string): VersionChoice {
  pins.choices ??= new Map();
  let choice = pins.choices.get(model);
  if (!choice) {
    const canary = pins.canaries.get(model) as Canary;
    choice = chooseCanaryVersion(
      canary,
      pins.stickyKey,
      (v) => pins.registry.modelsByKey.get(modelKey(model, v))?.status,
    );
    pins.choices.set(model, choice);
    pins.versions.push(choice);
  }
  return choice;
}

/** The listed model ids the request's tenant may use, for reasons (tenant-view.ts). */
const usableModels = (models: readonly string[] | undefined, request: RouteRequest): string =>
  (models ?? []).filter((id) => mayUseModel(request.tenant, id)).join(', ');

const fmt = (usd: number): string => (usd === 0 ? '0' : usd.toPrecision(3));

function noCandidate(
  request: RouteRequest,
  model: string | undefined,
  policyName: string,
  policyModels: readonly string[] | undefined,
  excluded: readonly ExclusionExplanation[],
  universeSize: number,
  stats: NoCandidateStats,
): NoCandidateError {
  const what =
    request.model === undefined
      ? `task "${request.task}"`
      : model === undefined
        ? `policy "${policyName}"`
        : `model "${request.model}"`;
  if (universeSize === 0) {
    return new NoCandidateError(
      'endpoint-state',
      `No endpoint can serve this request: no endpoint is registered for ${what}.`,
      excluded,
    );
  }
  const counts = new Array<number>(EXCLUSION_RULES.length).fill(0);
  let last = 0;
  for (const x of excluded) {
    const i = RULE_INDEX.get(x.rule) ?? 0;
    counts[i] = (counts[i] as number) + 1;
    if (i > last) last = i;
  }
  const rule = EXCLUSION_RULES[last] as ExclusionRule;
  const { hints } = request;
  const detail: Record<ExclusionRule, () => string> = {
    'policy-models': () =>
      model === undefined
        ? `policy "${policyName}" lists no usable model`
        : `model "${model}" is not among policy "${policyName}" models [${usableModels(policyModels, request)}]`,
    'tenant-allow-list': () =>
      `tenant "${request.tenant.id}" may only use ${request.tenant.allowed_models?.join(', ') || 'no model'}`,
    'model-status': () => `no version of ${what} is active (failed, retired, or staged outside a canary)`,
    'canary-version': () => 'the version the canary pinned has no usable endpoint',
    task: () =>
      request.model === undefined
        ? `no model serves task "${request.task}"`
        : `no model of ${what} serves task "${request.task}"`,
    dimensions: () => `no remaining model can return ${request.dimensions} dimensions`,
    domain: () => `no remaining model serves domain "${hints.domain}"`,
    'context-window': () =>
      request.context_tokens === undefined
        ? `~${request.prompt_tokens} prompt + ${request.max_output_tokens} output tokens exceed every remaining context window (largest ${stats.largestContext})`
        : `the longest input (~${request.context_tokens} tokens) exceeds every remaining context window (largest ${stats.largestContext})`,
    'data-classification': () =>
      hints.data_classification === 'phi'
        ? '"phi" data may only go to HIPAA-eligible models'
        : `no remaining model may receive "${hints.data_classification}" data`,
    region: () => `no remaining endpoint runs in region "${hints.region}" (residency is pinned)`,
    'n-choices': () => `no remaining endpoint returns n = ${request.n} choices (none sets supports_n)`,
    'endpoint-state': () => 'every remaining endpoint is draining or disabled',
    'health-down': () => 'every remaining endpoint is down',
    'circuit-open': () => "every remaining endpoint's circuit breaker is open",
    'max-cost': () =>
      `the cheapest remaining endpoint is estimated at $${fmt(stats.cheapestOverCap)}, above max_cost_usd $${hints.max_cost_usd}`,
    'max-latency': () =>
      `the fastest remaining endpoint is expected to take ${Math.round(stats.fastestOverCap)} ms, above max_latency_ms ${hints.max_latency_ms}`,
  };
  const breakdown = EXCLUSION_RULES.flatMap((r, i) => (counts[i] ? [`${r} ${counts[i]}`] : [])).join(', ');
  const n = excluded.length;
  const param = RULE_PARAM[rule];
  return new NoCandidateError(
    rule,
    `No endpoint can serve this request: ${rule} — ${detail[rule]()}; ${n} endpoint${n === 1 ? '' : 's'} excluded (${breakdown}).`,
    excluded,
    param === undefined ? {} : { param },
  );
}

/** The request field a rule that emptied the set is about, as the error's `param`. */
const RULE_PARAM: Partial<Record<ExclusionRule, string>> = { dimensions: 'dimensions', 'n-choices': 'n' };

/**
 * Whether model `m` can return vectors of `dimensions`: its native length, or a shorter one when
 * it accepts a `dimensions` below it. A model that declares no dimensions promises none.
 */
export function canReturnDimensions(m: Pick<Model, 'embedding'>, dimensions: number): boolean {
  const e = m.embedding;
  if (e === undefined) return false;
  return dimensions === e.dimensions || (e.accepts_dimensions && dimensions < e.dimensions);
}
