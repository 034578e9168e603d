// Learned: a contextual bandit per model version (learning/). Each candidate's utility is its
// estimated quality minus λ times its cost relative to the dearest candidate:
//   estimate_i = prior_i + θ_a·x      (prior: the registry's quality for the task; a: its arm)
//   width_i    = √(xᵀ A_a⁻¹ x)        (LinUCB's confidence width, Li et al. WWW 2010)
//   greedy_i   = estimate_i − λ · cost_i / max cost
//   optimist_i = greedy_i + WIDTH · width_i
// The primary is the greedy argmax, except on an exploration draw: with probability `explore`
// (the policy's cap on the share of traffic that explores; 0 for high priority) it is drawn from
// a softmax over the optimistic utilities, so exploration goes to uncertain, promising arms and
// every candidate keeps a known probability (positive unless its share is below e^-40). The
// primary's propensity is exact:
//   p(i) = (1 − explore)·[i = greedy] + explore · softmax_i
// which off-policy evaluation (IPS, doubly robust) needs. Fallbacks follow by greedy utility.
// The strategy only orders the candidates it is given: hard constraints were applied before.
// Draws: none for one candidate; else one gate draw when explore > 0, and one more to sample
// the softmax when the gate explores.
import type {
  CandidateTable,
  LearningInput,
  Selection,
  SelectionContext,
  SelectionStrategy,
} from './strategy.ts';
import { rankBy, Scratch } from './strategy.ts';

/** Defaults when a policy sets nothing (and for the strategy without a learning input). */
export const LEARNED_DEFAULTS = { lambda: 0.5, explore: 0.05 } as const;
/** Exploration is never above this share of traffic. */
export const MAX_EXPLORE = 0.5;
/** Weight of the confidence width in the optimistic utility. */
export const WIDTH = 0.5;
/** Softmax temperature over optimistic utilities (utility units, ~quality points). */
export const TEMPERATURE = 0.05;

const BIAS_ONLY: LearningInput = {
  x: [1],
  arms: [],
  state: undefined,
  lambda: LEARNED_DEFAULTS.lambda,
  explore: LEARNED_DEFAULTS.explore,
};

// One Scratch per column: a Scratch hands out views of a single buffer per element type.
const columns = Array.from({ length: 5 }, () => new Scratch());
const armScratch = new Scratch();
const col = (k: number, n: number): Float64Array => (columns[k] as Scratch).f64(n);

/** Per-candidate figures of a learned decision (the dry run's explanation). */
export interface LearnedFigures {
  estimate: Float64Array;
  width: Float64Array;
  greedy: Float64Array;
  optimist: Float64Array;
}

/**
 * Estimates, widths and utilities for every candidate into `out` (fresh arrays when omitted).
 * Arms shared by several endpoints are computed once.
 */
export function learnedFigures(
  t: CandidateTable,
  input: LearningInput,
  out?: LearnedFigures,
): LearnedFigures {
  const n = t.length;
  const f = out ?? {
    estimate: new Float64Array(n),
    width: new Float64Array(n),
    greedy: new Float64Array(n),
    optimist: new Float64Array(n),
  };
  const { x, arms, state, lambda } = input;
  const d = x.length;
  let maxCost = 0;
  for (let i = 0; i < n; i++) if ((t.cost[i] as number) > maxCost) maxCost = t.cost[i] as number;
  const armCount = state?.arms.size ?? 0;
  // Per arm: residual and width cached (seen = 1) for this decision.
  const seen = armScratch.u8(armCount);
  const cache = armScratch.f64(2 * armCount);
  // The width of an arm without state: |x| / √ridge.
  let xx = 0;
  for (let i = 0; i < d; i++) xx += (x[i] as number) ** 2;
  const freshWidth = Math.sqrt(xx / (state?.ridge ?? 1));
  for (let i = 0; i < n; i++) {
    const a = i < arms.length ? (arms[i] as number) : -1;
    let residual = 0;
    let width = freshWidth;
    if (state !== undefined && a >= 0 && a < armCount && state.dim === d) {
      if (seen[a] === 0) {
        const { theta, ainv } = state;
        const t0 = a * d;
        const m0 = a * d * d;
        let mean = 0;
        let q = 0;
        for (let r = 0; r < d; r++) {
          const xr = x[r] as number;
          if (xr === 0) continue;
          mean += (theta[t0 + r] as number) * xr;
          let row = 0;
          for (let c = 0; c < d; c++) row += (ainv[m0 + r * d + c] as number) * (x[c] as number);
          q += xr * row;
        }
        cache[2 * a] = mean;
        cache[2 * a + 1] = Math.sqrt(Math.max(0, q));
        seen[a] = 1;
      }
      residual = cache[2 * a] as number;
      width = cache[2 * a + 1] as number;
    }
    const estimate = (t.quality[i] as number) + residual;
    const relCost = maxCost > 0 ? (t.cost[i] as number) / maxCost : 0;
    const greedy = estimate - lambda * relCost;
    f.estimate[i] = estimate;
    f.width[i] = width;
    f.greedy[i] = greedy;
    f.optimist[i] = greedy + WIDTH * width;
  }
  return f;
}

/** Below this (scaled) distance from the best, a softmax share is taken as 0 (e^-40 < 5e-18). */
const SOFTMAX_CUTOFF = -40;

/** Unnormalised softmax weights of `v` / TEMPERATURE into `out`, stable (max subtracted); returns their sum. */
function softmaxWeights(v: Float64Array, n: number, out: Float64Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if ((v[i] as number) > max) max = v[i] as number;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const z = ((v[i] as number) - max) / TEMPERATURE;
    const e = z < SOFTMAX_CUTOFF ? 0 : Math.exp(z);
    out[i] = e;
    sum += e;
  }
  return sum;
}

/** Softmax over `v` / TEMPERATURE into `out`, stable (max subtracted). */
function softmax(v: Float64Array, n: number, out: Float64Array): void {
  const sum = softmaxWeights(v, n, out);
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) / sum;
}

/** The exploration share actually applied: the input's, clamped into [0, MAX_EXPLORE]. */
export const exploreShare = (explore: number): number =>
  Number.isFinite(explore) ? Math.min(MAX_EXPLORE, Math.max(0, explore)) : 0;

/**
 * The share applied to a decision: the policy's cap times how uncertain the most uncertain
 * candidate still is, relative to a model with no feedback (width / (|x| / √ridge), at most 1).
 * Exploration fades as every candidate is learned, and comes back for a new model version.
 */
export function decayedShare(input: LearningInput, width: ArrayLike<number>, n: number): number {
  const cap = exploreShare(input.explore);
  if (cap === 0) return 0;
  let xx = 0;
  for (let i = 0; i < input.x.length; i++) xx += (input.x[i] as number) ** 2;
  const fresh = Math.sqrt(xx / (input.state?.ridge ?? 1));
  if (!(fresh > 0)) return cap;
  let widest = 0;
  for (let i = 0; i < n; i++) if ((width[i] as number) > widest) widest = width[i] as number;
  return cap * Math.min(1, widest / fresh);
}

/** Learned strategy: greedy on estimated quality − λ·relative cost, exploring within a capped share. */
export const learnedStrategy: SelectionStrategy = {
  name: 'learned',
  select(t: CandidateTable, random: () => number, limit = t.length, context?: SelectionContext): Selection {
    const n = t.length;
    const k = Math.min(limit, n);
    if (n === 0) return { order: [], draws: [] };
    if (n === 1) return { order: k > 0 ? [0] : [], draws: [], propensity: 1, explored: false };
    const input = context?.learning ?? BIAS_ONLY;
    const f = learnedFigures(t, input, {
      estimate: col(0, n),
      width: col(1, n),
      greedy: col(2, n),
      optimist: col(3, n),
    });
    const { greedy } = f;
    const score = t.score;
    const compare = (a: number, b: number): number =>
      (greedy[b] as number) - (greedy[a] as number) || (score[b] as number) - (score[a] as number) || a - b;
    let best = 0;
    for (let i = 1; i < n; i++) if (compare(i, best) < 0) best = i;
    const explore = decayedShare(input, f.width, n);
    const draws: number[] = [];
    let chosen = best;
    let explored = false;
    let propensity = 1;
    if (explore > 0) {
      // Normalised only when the gate explores (sampling needs every share; the propensity one).
      const soft = col(4, n);
      const sum = softmaxWeights(f.optimist, n, soft);
      const gate = random();
      draws.push(gate);
      if (gate < explore) {
        explored = true;
        for (let i = 0; i < n; i++) soft[i] = (soft[i] as number) / sum;
        const u = random();
        draws.push(u);
        chosen = sample(soft, n, u);
      } else soft[chosen] = (soft[chosen] as number) / sum;
      propensity = (chosen === best ? 1 - explore : 0) + explore * (soft[chosen] as number);
    }
    if (k === 0) return { order: [], draws, propensity, explored };
    // The chosen primary, then the others by greedy utility (the best k - 1 of them).
    const ranked = rankBy(n, k, compare).order;
    const at = ranked.indexOf(chosen);
    if (at >= 0) ranked.splice(at, 1);
    else ranked.pop();
    ranked.unshift(chosen);
    return { order: ranked, draws, propensity, explored };
  },
};

/**
 * The probability of each candidate being the primary (sums to 1): 1 − explore on the greedy one
 * plus explore times its softmax share. For off-policy evaluation and tests; allocates.
 */
export function learnedPropensities(t: CandidateTable, context?: SelectionContext): Float64Array {
  const n = t.length;
  const p = new Float64Array(n);
  if (n === 0) return p;
  const f = learnedFigures(t, context?.learning ?? BIAS_ONLY);
  const score = t.score;
  let best = 0;
  for (let i = 1; i < n; i++) {
    const d =
      (f.greedy[i] as number) - (f.greedy[best] as number) || (score[i] as number) - (score[best] as number);
    if (d > 0) best = i;
  }
  const explore = n === 1 ? 0 : decayedShare(context?.learning ?? BIAS_ONLY, f.width, n);
  if (explore > 0) softmax(f.optimist, n, p);
  for (let i = 0; i < n; i++) p[i] = explore * (p[i] as number);
  p[best] = (p[best] as number) + 1 - explore;
  return p;
}

/** The index whose cumulative probability first exceeds `u` (the last positive one at the top end). */
function sample(p: Float64Array, n: number, u: number): number {
  let acc = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    const pi = p[i] as number;
    if (pi <= 0) continue;
    acc += pi;
    last = i;
    if (u < acc) return i;
  }
  return last;
}
