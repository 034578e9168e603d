// A learned policy rollout step's gate, pure: the learned canary gate (learning/learned-canary.ts)
// on the step's decision records, mapped onto the rollout workflow's verdicts: promote -> pass,
// roll back -> breach, too little feedback -> wait, up to `maxExtensions` extra waits, then breach.
// Before the canary steps comes the shadow step (0 %): a bake of `wait_seconds` that passes,
// saying how many decisions logged the learned choice (there is no learned arm to judge yet).

import type { DecisionRecord } from '../learning/decision-record.ts';
import { armStats, learnedCanaryGate } from '../learning/learned-canary.ts';
import type { PolicyGateEvaluation, PolicyRollout, PolicyRolloutGates } from './rollout.schema.ts';

/** A policy rollout's steps as the workflow runs them: shadow (0 %) first, then `steps`. */
export const policyRolloutPhases = (r: Pick<PolicyRollout, 'steps'>): number[] => [0, ...r.steps];

/** The shadow step's check: passes, counting the policy's decisions that logged a learned choice. */
export function evaluateShadowStep(input: {
  at: number;
  policy: string;
  records: readonly DecisionRecord[];
}): PolicyGateEvaluation {
  const shadowed = input.records.filter((r) => r.policy === input.policy && r.shadow !== undefined).length;
  return {
    at: input.at,
    verdict: 'pass',
    reason: `shadow: ${shadowed} decisions logged the learned choice`,
    ...armStats(input.records, input.policy),
  };
}

export interface PolicyGateInput {
  at: number;
  policy: string;
  /** The decision records of the step's window (any policy; others are left out). */
  records: readonly DecisionRecord[];
  gates: PolicyRolloutGates;
  /** Waits already added to this step for want of feedback. */
  extensions: number;
  maxExtensions: number;
}

export function evaluatePolicyGates(input: PolicyGateInput): PolicyGateEvaluation {
  const gate = learnedCanaryGate(input.records, input.policy, input.gates);
  const base = { at: input.at, static: gate.static, learned: gate.learned };
  if (gate.verdict === 'wait') {
    return input.extensions >= input.maxExtensions
      ? {
          ...base,
          verdict: 'breach',
          reason: `insufficient feedback after ${input.extensions} extra waits: ${gate.reason}`,
        }
      : { ...base, verdict: 'wait', reason: `waiting for feedback: ${gate.reason}` };
  }
  return gate.verdict === 'promote'
    ? { ...base, verdict: 'pass', reason: `learned within tolerance: ${gate.reason}` }
    : { ...base, verdict: 'breach', reason: `learned worse than static: ${gate.reason}` };
}
