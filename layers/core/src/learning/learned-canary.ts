// The canary of a learned strategy on a static policy (policy `learning.canary`): a sticky share
// of the policy's traffic is decided by the learned strategy, the rest by the policy's own; every
// decision record names its arm. The gate compares the arms' scored answers (mean feedback score,
// mean cost) and says promote, roll back or keep waiting; the edits apply that verdict to the
// policy. Pure: the rollout workflow's steps (adapters rollouts.policy.ts) read the records and
// write the policy.

import { hashToUnit } from '../random.ts';
import type { LearnedCanary, Policy } from '../registry.schema.ts';
import type { DecisionRecord } from './decision-record.ts';

export type CanaryArm = 'static' | 'learned';

/** The arm of a request: its sticky key's hash (per policy) below the weight is the learned arm. */
export function learnedCanaryArm(policy: string, stickyKey: string, weight: number): CanaryArm {
  return hashToUnit(`learned-canary\u0000${policy}\u0000${stickyKey}`) < weight ? 'learned' : 'static';
}

export interface ArmStats {
  /** Scored answers (status ok, with feedback) of this arm. */
  events: number;
  /** Mean feedback score over them (0 when none). */
  quality: number;
  /** Mean cost over them, micro-USD (0 when none). */
  cost_micros: number;
}

export interface CanaryGate {
  verdict: 'promote' | 'rollback' | 'wait';
  static: ArmStats;
  learned: ArmStats;
  reason: string;
}

/** Per-arm stats of one policy's canary records (records without an arm are left out). */
export function armStats(records: readonly DecisionRecord[], policy: string): Record<CanaryArm, ArmStats> {
  const sums = { static: [0, 0, 0], learned: [0, 0, 0] } as Record<CanaryArm, [number, number, number]>;
  for (const r of records) {
    if (r.policy !== policy || r.arm === undefined || r.status !== 'ok' || r.feedback === undefined) continue;
    const s = sums[r.arm];
    s[0]++;
    s[1] += r.feedback.score;
    s[2] += r.cost_micros;
  }
  const of = ([n, q, c]: [number, number, number]): ArmStats =>
    n === 0 ? { events: 0, quality: 0, cost_micros: 0 } : { events: n, quality: q / n, cost_micros: c / n };
  return { static: of(sums.static), learned: of(sums.learned) };
}

/**
 * The gate: with at least `min_events` scored answers on each arm, promote when the learned arm's
 * quality ≥ static − tolerance and its cost ≤ static × (1 + tolerance); otherwise roll back. Fewer
 * events on either arm: wait.
 */
export function learnedCanaryGate(
  records: readonly DecisionRecord[],
  policy: string,
  settings: Pick<LearnedCanary, 'min_events' | 'tolerance'>,
): CanaryGate {
  const stats = armStats(records, policy);
  const { static: s, learned: l } = stats;
  const { min_events: min, tolerance: tol } = settings;
  if (s.events < min || l.events < min) {
    return {
      verdict: 'wait',
      ...stats,
      reason: `${s.events} static, ${l.events} learned scored; need ${min} each`,
    };
  }
  const qualityFloor = s.quality - tol;
  const costCap = s.cost_micros * (1 + tol);
  const qualityOk = l.quality >= qualityFloor;
  const costOk = l.cost_micros <= costCap;
  const reason =
    `quality ${l.quality.toFixed(4)} ${qualityOk ? '>=' : '<'} ${qualityFloor.toFixed(4)}, ` +
    `cost ${l.cost_micros.toFixed(1)} ${costOk ? '<=' : '>'} ${costCap.toFixed(1)} micro-USD`;
  return { verdict: qualityOk && costOk ? 'promote' : 'rollback', ...stats, reason };
}

/**
 * A policy rollout's step (rollout/): shadow on (the static arm also decides with the learned
 * strategy and logs that choice) and the learned arm at `weight`, judged with `gate`; undefined
 * when the policy is so already.
 */
export function steppedLearnedPolicy(
  policy: Policy,
  weight: number,
  gate: Pick<LearnedCanary, 'min_events' | 'tolerance'>,
): Policy | undefined {
  const learning = policy.learning ?? LEARNING_FALLBACK;
  const c = learning.canary;
  if (
    learning.shadow &&
    c?.weight === weight &&
    c.min_events === gate.min_events &&
    c.tolerance === gate.tolerance
  )
    return undefined;
  return { ...policy, learning: { ...learning, shadow: true, canary: { weight, ...gate } } };
}

/** Promotion: the policy serves with the learned strategy; the canary is done. */
export function promotedLearnedPolicy(policy: Policy): Policy {
  const { canary: _c, ...learning } = policy.learning ?? LEARNING_FALLBACK;
  return { ...policy, strategy: 'learned', learning };
}

/** Rollback: the static strategy serves everything (canary weight 0, kept to say it was tried). */
export function rolledBackLearnedPolicy(policy: Policy): Policy {
  const learning = policy.learning ?? LEARNING_FALLBACK;
  const canary = learning.canary;
  return canary ? { ...policy, learning: { ...learning, canary: { ...canary, weight: 0 } } } : policy;
}

const LEARNING_FALLBACK: NonNullable<Policy['learning']> = { lambda: 0.5, explore: 0.05, shadow: false };
