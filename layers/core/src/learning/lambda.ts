// Solving the cost weight λ from a policy's target (a Lagrangian dual by bisection): over a
// sample of recent decision contexts, the greedy choice argmax_i (estimate_i − λ·cost_i / max
// cost) gets cheaper and (by its own estimates) no better as λ grows, so both targets are
// monotone in λ:
//   quality_floor    the largest λ whose mean estimated quality stays ≥ the floor
//   target_cost_usd  the smallest λ whose mean cost stays ≤ the target
// Pure; the refit runs it after folding new feedback, and the router reads λ from the state.
import type { CompiledLearnedState } from './learned-state.ts';
import { armEstimate } from './learned-state.ts';

/** λ is searched in [0, MAX_LAMBDA]. */
export const MAX_LAMBDA = 20;
const STEPS = 40;

/** One logged decision context: its vector and the candidates (model key, prior, cost) it had. */
export interface LambdaContext {
  x: ArrayLike<number>;
  candidates: ReadonlyArray<{ arm: string; prior: number; cost: number }>;
}

export type LambdaTarget = { quality_floor: number } | { target_cost_usd: number };

interface Prepared {
  estimate: Float64Array;
  relCost: Float64Array;
  cost: Float64Array;
}

function prepare(contexts: readonly LambdaContext[], state: CompiledLearnedState | undefined): Prepared[] {
  return contexts
    .filter((c) => c.candidates.length > 0)
    .map((c) => {
      const n = c.candidates.length;
      const max = Math.max(...c.candidates.map((k) => k.cost));
      const p: Prepared = {
        estimate: new Float64Array(n),
        relCost: new Float64Array(n),
        cost: new Float64Array(n),
      };
      c.candidates.forEach((k, i) => {
        const arm = state?.arms.get(k.arm) ?? -1;
        const ok = state === undefined || state.dim === c.x.length;
        p.estimate[i] = k.prior + (ok ? armEstimate(state, arm, c.x).residual : 0);
        p.cost[i] = k.cost;
        p.relCost[i] = max > 0 ? k.cost / max : 0;
      });
      return p;
    });
}

/** Mean estimated quality and mean cost of the greedy choices at `lambda`. */
export function greedyAt(prepared: readonly Prepared[], lambda: number): { quality: number; cost: number } {
  let q = 0;
  let c = 0;
  for (const p of prepared) {
    let best = 0;
    for (let i = 1; i < p.estimate.length; i++) {
      const u = (p.estimate[i] as number) - lambda * (p.relCost[i] as number);
      const b = (p.estimate[best] as number) - lambda * (p.relCost[best] as number);
      if (u > b) best = i;
    }
    q += p.estimate[best] as number;
    c += p.cost[best] as number;
  }
  const n = Math.max(1, prepared.length);
  return { quality: q / n, cost: c / n };
}

/**
 * The λ that meets `target` on `contexts` under `state`'s estimates; undefined when there is no
 * context to solve on. A floor no λ meets gives 0 (quality first); a cost no λ meets gives MAX_LAMBDA.
 */
export function solveLambda(
  contexts: readonly LambdaContext[],
  state: CompiledLearnedState | undefined,
  target: LambdaTarget,
): number | undefined {
  const prepared = prepare(contexts, state);
  if (prepared.length === 0) return undefined;
  const meets = (lambda: number): boolean => {
    const g = greedyAt(prepared, lambda);
    return 'quality_floor' in target ? g.quality >= target.quality_floor : g.cost <= target.target_cost_usd;
  };
  if ('quality_floor' in target) {
    // Largest λ that still meets the floor.
    if (!meets(0)) return 0;
    if (meets(MAX_LAMBDA)) return MAX_LAMBDA;
    let lo = 0;
    let hi = MAX_LAMBDA;
    for (let i = 0; i < STEPS; i++) {
      const mid = (lo + hi) / 2;
      if (meets(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  }
  // Smallest λ that keeps to the cost target.
  if (meets(0)) return 0;
  if (!meets(MAX_LAMBDA)) return MAX_LAMBDA;
  let lo = 0;
  let hi = MAX_LAMBDA;
  for (let i = 0; i < STEPS; i++) {
    const mid = (lo + hi) / 2;
    if (meets(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
