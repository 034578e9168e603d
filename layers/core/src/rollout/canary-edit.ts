// The registry edits a rollout makes, as pure functions over validated documents: a policy's
// canary entry for one model at a weight, promotion (the candidate becomes stable) and rollback
// (weight 0, the candidate marked failed with the reason).
import type { Canary, Model, Policy } from '../registry.schema.ts';

/** The policy with its canary entry for `canary.model` replaced (or added). */
export function withCanary(policy: Policy, canary: Canary): Policy {
  const others = policy.canary.filter((c) => c.model !== canary.model);
  return { ...policy, canary: [...others, canary] };
}

/** The policy's canary entry for `model`. */
export const canaryOf = (policy: Policy, model: string): Canary | undefined =>
  policy.canary.find((c) => c.model === model);

/** Weight in 0..1 from a step in percent (rounded to 4 places). */
export const stepWeight = (percent: number): number => Math.round(percent * 100) / 10_000;

/** Canary at a step: stable and candidate, `percent` of conversations to the candidate. */
export const stepCanary = (model: string, stable: string, candidate: string, percent: number): Canary => ({
  model,
  stable,
  candidate,
  weight: stepWeight(percent),
});

/** After promotion: the candidate is the stable version, no candidate, weight 0. */
export const promotedCanary = (model: string, candidate: string): Canary => ({
  model,
  stable: candidate,
  weight: 0,
});

/** After a rollback: stable keeps everything; the candidate stays named, at weight 0. */
export const rolledBackCanary = (model: string, stable: string, candidate: string): Canary => ({
  model,
  stable,
  candidate,
  weight: 0,
});

/** A model version with a new status (and reason; none clears it). */
export function withStatus(model: Model, status: Model['status'], reason?: string): Model {
  const { status_reason: _r, ...rest } = model;
  return { ...rest, status, ...(reason !== undefined ? { status_reason: reason.slice(0, 1024) } : {}) };
}
