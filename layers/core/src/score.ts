// Scoring figures for one candidate: estimated cost, expected latency from the health snapshot,
// load, and the policy weights adjusted for priority. Each score part is 0..1, higher is better;
// the blended score is their weighted mean times a health factor.
import type { Priority } from './api.schema.ts';
import type { Model, Policy } from './registry.schema.ts';
import type { CircuitState, HealthStatus } from './route.types.ts';

/** Expected latency when neither health nor an SLO says anything (a neutral middle). */
export const DEFAULT_LATENCY_MS = 1000;
/** Capacity assumed for the load part when an endpoint declares no `max_inflight`. */
export const DEFAULT_CAPACITY = 16;
/** Weight of the p95 tail in the expected latency when it is above the EWMA. */
export const TAIL_WEIGHT = 0.25;

/**
 * Score multipliers by health: unknown (missing or stale) is routable but not preferred,
 * degraded less so, a half-open circuit gets trial traffic only when better ones are busy.
 */
export const HEALTH_FACTOR = { up: 1, unknown: 0.9, degraded: 0.7, 'half-open': 0.5 } as const;

export type ScoreWeights = Policy['weights'];

/** Estimated cost in USD: prompt and output tokens at the per-1K prices, plus the per-call price. */
export function estimateCostUsd(
  model: Pick<Model, 'cost'>,
  promptTokens: number,
  maxOutputTokens: number,
): number {
  const c = model.cost;
  return (promptTokens / 1000) * c.input_per_1k + (maxOutputTokens / 1000) * c.output_per_1k + c.per_call;
}

/** Policy weights leaned by priority: `high` doubles quality and halves cost, `low` the reverse. */
export function effectiveWeights(weights: ScoreWeights, priority: Priority): ScoreWeights {
  if (priority === 'high') return { ...weights, quality: weights.quality * 2, cost: weights.cost * 0.5 };
  if (priority === 'low') return { ...weights, quality: weights.quality * 0.5, cost: weights.cost * 2 };
  return weights;
}

/** The multiplier for an endpoint's health status and circuit state. */
export function healthFactor(status: HealthStatus, circuit: CircuitState): number {
  const s = status === 'degraded' ? HEALTH_FACTOR.degraded : status === 'unknown' ? HEALTH_FACTOR.unknown : 1;
  return circuit === 'half-open' ? s * HEALTH_FACTOR['half-open'] : s;
}

/**
 * Expected latency in ms from measured figures: the EWMA (or last probe) blended with the p95
 * tail when the tail is higher; undefined when nothing was measured.
 */
export function measuredLatencyMs(
  ewma: number | undefined,
  probe: number | undefined,
  p95: number | undefined,
): number | undefined {
  const mean = ewma ?? probe;
  if (mean === undefined) return p95;
  return p95 !== undefined && p95 > mean ? (1 - TAIL_WEIGHT) * mean + TAIL_WEIGHT * p95 : mean;
}

/**
 * `(best + floor) / (value + floor)` for lower-is-better figures: 1 for the best, towards 0 for
 * worse ones. The floor keeps a free (or instant) candidate from driving every other one to 0.
 */
export function relativeToBest(best: number, value: number, floor: number): number {
  if (value <= best) return 1;
  return (best + floor) / (value + floor);
}

/** Cost floor: 10% of the dearest candidate's cost, so ratios stay sensible next to a free model. */
export const costFloor = (maxCost: number): number => Math.max(1e-12, maxCost * 0.1);
/** Latency floor in ms. */
export const LATENCY_FLOOR_MS = 1;
