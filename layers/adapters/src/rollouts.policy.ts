// A learned policy rollout (`kind: policy`), the policy side of the rollout lifecycle
// (rollouts.lifecycle.ts dispatches here by kind):
//
// - start: the policy must exist, have `learning` settings and not serve `strategy: learned`
//   yet; it goes into shadow (learning.shadow on, learning.canary at weight 0: every request is
//   served by the static strategy, which also logs what the learned one would have chosen);
// - the workflow's step 0 is the shadow step (weight 0, a bake of wait_seconds); step i > 0 sets
//   learning.canary.weight = steps[i - 1] / 100 (shadow stays on for the static arm);
// - evaluate: the decision records since the step began, judged by the core's policy gate
//   (learned arm vs static arm: quality feedback and cost; the shadow step passes);
// - promoted: the policy serves with `strategy: learned` (canary gone); rolled back: canary
//   weight 0 (shadow stays on, so the static strategy keeps logging the learned choice).
// The edits are change functions for the lifecycle's optimistic policy write (undefined: as is).
import type {
  DecisionLog,
  Policy,
  PolicyGateEvaluation,
  PolicyRollout,
  PolicyRolloutRequest,
  Registry,
} from '@switchyard/core';
import {
  evaluatePolicyGates,
  evaluateShadowStep,
  InvalidRequestError,
  promotedLearnedPolicy,
  rolledBackLearnedPolicy,
  steppedLearnedPolicy,
  stepWeight,
} from '@switchyard/core';

/** The lock scope of a policy's learned rollout (`lock#<policy>#<scope>`; no model id starts with `#`). */
export const LEARNED_LOCK_SCOPE = '#learned';

/** A policy rollout's request against the registry; a 400 naming `policy` when it cannot run. */
export function checkPolicyRollout(
  registry: Pick<Registry, 'policies'>,
  request: PolicyRolloutRequest,
): void {
  const policy = registry.policies.find((p) => p.name === request.policy);
  const problem = !policy
    ? `no policy "${request.policy}" in the registry`
    : policy.learning === undefined
      ? `policy "${request.policy}" has no learning settings (add \`learning\` to it first)`
      : policy.strategy === 'learned'
        ? `policy "${request.policy}" already serves with strategy learned`
        : undefined;
  if (problem) throw new InvalidRequestError(`policy: ${problem}`, { param: 'policy' });
}

/** Shadow before the canary steps: learned decides and logs, static serves. */
export const shadowEdit =
  (rollout: PolicyRollout) =>
  (p: Policy): Policy | undefined =>
    steppedLearnedPolicy(p, 0, rollout.gates);

/** Step `percent`: that share of callers (sticky) served by the learned strategy. */
export const stepEdit =
  (rollout: PolicyRollout, percent: number) =>
  (p: Policy): Policy | undefined =>
    steppedLearnedPolicy(p, stepWeight(percent), rollout.gates);

/** The registry edit of a finished rollout (undefined while it runs, or when already applied). */
export const finalEdit =
  (rollout: PolicyRollout) =>
  (p: Policy): Policy | undefined => {
    if (rollout.status === 'promoted') return p.strategy === 'learned' ? undefined : promotedLearnedPolicy(p);
    if (rollout.status === 'rolled-back') {
      const canary = p.learning?.canary;
      return p.strategy === 'learned' || !canary || canary.weight === 0
        ? undefined
        : rolledBackLearnedPolicy(p);
    }
    return undefined;
  };

/** The gate of a step over the decision records since it began. */
export async function evaluatePolicyStep(
  log: Pick<DecisionLog, 'since'>,
  rollout: PolicyRollout,
  step: { started_at: number; percent: number },
  extensions: number,
  at: number,
): Promise<PolicyGateEvaluation> {
  const records = await log.since(step.started_at);
  if (step.percent === 0) return evaluateShadowStep({ at, policy: rollout.policy, records });
  return evaluatePolicyGates({
    at,
    policy: rollout.policy,
    records,
    gates: rollout.gates,
    extensions,
    maxExtensions: rollout.max_extensions,
  });
}
