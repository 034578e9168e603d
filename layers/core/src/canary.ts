// Sticky canary between a model's stable and candidate versions. The draw is a stable hash of
// the model id and the sticky key mapped to [0, 1): below the canary weight means the candidate.
// One key always gets one version for a given weight, and raising the weight only moves keys
// from stable to candidate (a key on the candidate at 5% stays there at 25%).

import { hashToUnit } from './random.ts';
import type { Canary, ModelStatus } from './registry.schema.ts';

export interface VersionChoice {
  model: string;
  version: string;
  reason: string;
}

/** The sticky draw in [0, 1) for one model and key. */
export const canaryDraw = (model: string, stickyKey: string): number =>
  hashToUnit(`${model}\u0000${stickyKey}`);

const unusable = (s: ModelStatus | undefined): boolean =>
  s === undefined || s === 'failed' || s === 'retired';

/**
 * Picks the version a request goes to under `canary`. `statusOf` gives a version's status
 * (undefined when unknown): a failed or retired side is avoided when the other one is usable.
 */
export function chooseCanaryVersion(
  canary: Canary,
  stickyKey: string,
  statusOf: (version: string) => ModelStatus | undefined,
): VersionChoice {
  const { model, stable, candidate, weight } = canary;
  if (candidate === undefined || candidate === stable) {
    return { model, version: stable, reason: 'canary has no candidate: stable' };
  }
  const u = canaryDraw(model, stickyKey);
  const pickCandidate = u < weight;
  const picked = pickCandidate ? candidate : stable;
  const other = pickCandidate ? stable : candidate;
  const why = `sticky hash ${u.toFixed(4)} ${pickCandidate ? '<' : '>='} weight ${weight}`;
  if (unusable(statusOf(picked)) && !unusable(statusOf(other))) {
    return {
      model,
      version: other,
      reason: `${why}, but ${picked} is ${statusOf(picked) ?? 'missing'}: ${other}`,
    };
  }
  return { model, version: picked, reason: `${why}: ${pickCandidate ? 'candidate' : 'stable'}` };
}
