// Turns a strategy's order into a plan: the primary, distinct ordered fallbacks by the policy's
// fallback mode, timeouts inside the deadline, and an optional hedge or ensemble.
// - same-model-first: the primary model's other endpoints (in order), then other models'.
// - cross-model: round robin over models in order of first appearance, starting with the best
//   endpoint of another model, so one broken model never takes the whole chain down.
// - same-model-only: only the primary model's other endpoints.
// Deadline = min(policy deadline, hints.max_latency_ms); attempt timeout = min(policy, deadline).
// Canary: a request pinned to a canary's candidate has the stable version's endpoints as
// fallback-only candidates (route.ts). They go right after the chain's first target of their
// model (normally the primary), before any other fallback, best score first; the chain keeps
// `fallback.count` targets, or as many as it takes to reach the first stable one, so canary users
// are never left without the stable version. They are never the primary or an ensemble member.
// Sync retries (policy.retry.sync): copied into the plan for the executor (execute-plan.ts).
// Hedge (policy.hedge): the first fallback, after delay_ms. Ensemble (policy.ensemble when the
// prompt is at least min_prompt_tokens and its complexity at least min_complexity, or
// hints.ensemble true/object; `false` opts out): size
// distinct endpoints preferring distinct models, the primary first; only when at least two
// targets exist. A plan with an ensemble has no hedge (the ensemble already fans out).
import type { RoutingHints } from './api.schema.ts';
import type { Endpoint, Model, Policy } from './registry.schema.ts';
import type { Plan, PlanTarget, RouteRequest } from './route.types.ts';
import { RankedWalk } from './strategies/strategy.ts';

export type EnsembleCombine = 'first-success' | 'majority-vote' | 'best-score';
type EnsembleHint = NonNullable<RoutingHints['ensemble']>;

/** The candidates a plan is built from, by index (as the strategy's order refers to them). */
export interface PlanCandidates {
  /** Registry slot of each candidate. */
  readonly slot: ArrayLike<number>;
  /** Endpoints and their model ids, by registry slot. */
  readonly endpoints: readonly Endpoint[];
  readonly modelIds: readonly string[];
  readonly cost: ArrayLike<number>;
  readonly quality: ArrayLike<number>;
  /** Model versions by `id@version`: a target of an embedding model carries its dimensions. */
  readonly models?: ReadonlyMap<string, Model>;
}

/** Model id of each candidate index: `modelIds[slot[i]]` (fallback modes and ensembles group by it). */
export interface ModelOf {
  readonly slot: ArrayLike<number>;
  readonly modelIds: readonly string[];
}

const modelOf = (m: ModelOf, i: number): string | undefined => m.modelIds[m.slot[i] as number];

export interface PlanInput {
  policy: Policy;
  request: RouteRequest;
  /** A strategy's ranked head, primary first (must not be empty); unranked candidates follow. */
  order: readonly number[];
  /** Number of candidates. */
  count: number;
  /** Fallback-only candidate indexes (a canary's stable endpoints), best first; see the header. */
  fallbackOnly?: readonly number[];
  candidates: PlanCandidates;
}

/** Builds the plan for a non-empty order. */
export function buildPlan(input: PlanInput): Plan {
  const { policy, request, order, count, candidates, fallbackOnly } = input;
  const deadline = Math.min(
    policy.timeouts.deadline_ms,
    request.hints.max_latency_ms ?? Number.POSITIVE_INFINITY,
  );
  const attempt = Math.min(policy.timeouts.attempt_ms, deadline);
  const made = new Map<number, PlanTarget>();
  const primary = targetFor(made, candidates, order[0] as number, attempt);
  let chain = pickFallbacks(order, count, candidates, policy.fallback.count, policy.fallback.mode);
  if (fallbackOnly && fallbackOnly.length > 0) {
    chain = withStableFallbacks(order[0] as number, chain, fallbackOnly, candidates, policy.fallback.count);
  }
  const fallbacks = chain.map((i) => targetFor(made, candidates, i, attempt));
  const plan: Plan = {
    policy: policy.name,
    primary,
    fallbacks,
    attempt_timeout_ms: attempt,
    deadline_ms: deadline,
    max_attempts_per_target: policy.retry.max_attempts_per_target,
    sync_retry: policy.retry.sync,
  };
  const ensemble = ensembleSettings(
    policy,
    request.hints.ensemble,
    request.prompt_tokens,
    request.features?.complexity,
  );
  if (ensemble) {
    const members = pickDistinctModels(order, count, candidates, ensemble.size);
    if (members.length >= 2) {
      plan.ensemble = {
        targets: members.map((i) => targetFor(made, candidates, i, attempt)),
        combine: ensemble.combine,
      };
    }
  }
  const first = fallbacks[0];
  if (!plan.ensemble && policy.hedge && first)
    plan.hedge = { delay_ms: policy.hedge.delay_ms, target: first };
  // Streams cut after their first chunk go on from the next fallback (stream-plan.ts).
  if (policy.stream_resume) plan.stream_resume = true;
  return plan;
}

/** The plan target of candidate `i` (one object per candidate, shared by the plan's lists). */
function targetFor(
  made: Map<number, PlanTarget>,
  c: PlanCandidates,
  i: number,
  timeoutMs: number,
): PlanTarget {
  const known = made.get(i);
  if (known) return known;
  const e = c.endpoints[c.slot[i] as number] as Endpoint;
  const t: PlanTarget = {
    endpoint: e.id,
    model: e.model,
    version: e.version,
    kind: e.kind,
    target: e.target,
    region: e.region,
    upstream_model: e.upstream_model ?? e.model,
    timeout_ms: timeoutMs,
    estimated_cost_usd: c.cost[i] as number,
    quality: c.quality[i] as number,
  };
  if (e.api_key_ref !== undefined) t.api_key_ref = e.api_key_ref;
  const embedding = c.models?.get(`${e.model}@${e.version}`)?.embedding;
  if (embedding !== undefined) t.embedding = { ...embedding };
  made.set(i, t);
  return t;
}

/**
 * The ensemble the request gets, if any: the hint overrides the policy's size and combine. The
 * policy alone fans out when the prompt has min_prompt_tokens and its complexity score is at
 * least min_complexity (each when set; an unknown complexity does not reach a threshold).
 */
export function ensembleSettings(
  policy: Policy,
  hint: EnsembleHint | undefined,
  promptTokens: number,
  complexity?: number,
): { size: number; combine: EnsembleCombine } | undefined {
  if (hint === false) return undefined;
  const p = policy.ensemble;
  if (hint === true || typeof hint === 'object') {
    const h = typeof hint === 'object' ? hint : {};
    return { size: h.size ?? p?.size ?? 3, combine: h.combine ?? p?.combine ?? 'first-success' };
  }
  if (
    p &&
    (p.min_prompt_tokens === undefined || promptTokens >= p.min_prompt_tokens) &&
    (p.min_complexity === undefined || (complexity !== undefined && complexity >= p.min_complexity))
  ) {
    return { size: p.size, combine: p.combine };
  }
  return undefined;
}

/**
 * Up to `count` fallback indexes (never the primary, no repeats) by fallback mode, walking the
 * ranked head of `order` and then the unranked rest (n candidates in all).
 */
export function pickFallbacks(
  order: readonly number[],
  n: number,
  models: ModelOf,
  count: number,
  mode: Policy['fallback']['mode'],
): number[] {
  if (count <= 0 || n < 2) return [];
  const walk = new RankedWalk(order, n);
  const primaryModel = modelOf(models, walk.next());
  if (mode === 'cross-model') return roundRobinByModel(walk, models, count, primaryModel);
  const same: number[] = [];
  const other: number[] = [];
  for (let i = walk.next(); i >= 0 && same.length < count; i = walk.next()) {
    if (modelOf(models, i) === primaryModel) same.push(i);
    else if (mode === 'same-model-first' && other.length < count) other.push(i);
  }
  return same.length >= count ? same : same.concat(other.slice(0, count - same.length));
}

/** Scratch of roundRobinByModel (synchronous, never re-entered), grown on demand. */
let rrSizes: Int32Array = new Int32Array(16);
let rrItems: Int32Array = new Int32Array(128);
const groupScratch = (a: Int32Array, n: number): Int32Array => (a.length >= n ? a : new Int32Array(n));

function roundRobinByModel(
  walk: RankedWalk,
  models: ModelOf,
  count: number,
  primaryModel: string | undefined,
): number[] {
  // Group g (keys[g]) keeps its first `count` indexes at items[g * count ...]; a short list
  // searched with indexOf (at most count + 1 models) instead of a Map and an array per model.
  const keys: Array<string | undefined> = [primaryModel];
  const sizes = groupScratch(rrSizes, count + 1);
  rrSizes = sizes;
  const items = groupScratch(rrItems, (count + 1) * count);
  rrItems = items;
  sizes.fill(0, 0, count + 1);
  for (let i = walk.next(); i >= 0; i = walk.next()) {
    const m = modelOf(models, i);
    let g = keys.indexOf(m);
    if (g < 0) {
      g = keys.length;
      keys.push(m);
    }
    const size = sizes[g] as number;
    if (size < count) {
      items[g * count + size] = i;
      sizes[g] = size + 1;
    }
    // Round 0 over `count` other models already fills the chain.
    if (keys.length > count) break;
  }
  const out: number[] = [];
  for (let round = 0; out.length < count; round++) {
    let any = false;
    for (let gi = 0; gi < keys.length && out.length < count; gi++) {
      // The primary took the primary model's first slot in round 0.
      const at = gi === 0 ? round - 1 : round;
      if (at >= 0 && at < (sizes[gi] as number)) {
        out.push(items[gi * count + at] as number);
        any = true;
      }
    }
    if (!any && round > 0) break;
  }
  return out;
}

/**
 * The fallback chain with each model's fallback-only indexes (in their order) inserted right after
 * that model's first target in `[primary, ...fallbacks]`; `count` long, or longer when that is
 * what it takes to reach a first stable fallback (one after a candidate primary with count 0, one
 * after a candidate that was the last fallback). A model with no target in the chain gets none:
 * its requests never reach the candidate, so they never need the stable version as a fallback.
 */
export function withStableFallbacks(
  primary: number,
  fallbacks: readonly number[],
  fallbackOnly: readonly number[],
  models: ModelOf,
  count: number,
): number[] {
  const chain = [primary, ...fallbacks];
  const byModel = new Map<string | undefined, number[]>();
  for (const i of fallbackOnly) {
    const m = modelOf(models, i);
    const group = byModel.get(m);
    if (group) group.push(i);
    else byModel.set(m, [i]);
  }
  const firsts: number[] = [];
  for (const [m, group] of byModel) {
    const at = chain.findIndex((i) => modelOf(models, i) === m);
    if (at < 0) continue;
    chain.splice(at + 1, 0, ...group);
    firsts.push(group[0] as number);
  }
  // Long enough to reach each model's first stable fallback (the chain's index of it).
  const keep = firsts.reduce((k, i) => Math.max(k, chain.indexOf(i)), count);
  return chain.slice(1, 1 + keep);
}

/** Up to `size` indexes: the first endpoint of each distinct model in rank order, then the rest. */
export function pickDistinctModels(
  order: readonly number[],
  n: number,
  models: ModelOf,
  size: number,
): number[] {
  const seen = new Set<string | undefined>();
  const out: number[] = [];
  const rest: number[] = [];
  const walk = new RankedWalk(order, n);
  for (let i = walk.next(); i >= 0 && out.length < size; i = walk.next()) {
    const m = modelOf(models, i);
    if (!seen.has(m)) {
      seen.add(m);
      out.push(i);
    } else if (rest.length < size) rest.push(i);
  }
  for (let k = 0; out.length < size && k < rest.length; k++) out.push(rest[k] as number);
  return out;
}
