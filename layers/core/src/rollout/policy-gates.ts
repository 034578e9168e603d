// A learned policy rollout step's gate, pure: the learned canary gate (learning/learned-canary.ts)
// on the step's decision records, mapped onto the rollout workflow's verdicts: promote -> pass,
// roll back -> breach, too little feedback -> wait, up to `maxExtensions` extra waits, then breach.

import type { DecisionRecord } from '../learning/decision-record.ts';
import { learnedCanaryGate } from '../learning/learned-canary.ts';
import type { PolicyGateEvaluation, PolicyRolloutGates } from './rollout.schema.ts';

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
