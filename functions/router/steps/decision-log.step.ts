// Step 8 (issue 13): one decision record per routed request that reached an upstream (served or
// failed) — the features, context, policy, candidates, chosen model and endpoint, propensity,
// cost and latency (core decisionRecordOf; never the prompt) — for the learned router's refit
// and off-policy evaluation, and for POST /v1/feedback to join onto. A record that cannot be
// written is dropped with a warning: the decision log never fails or delays an answer's outcome.
import type { CompiledRegistry, DecisionFacts, DecisionLog } from '@switchyard/core';
import { decisionRecordOf, modelKey } from '@switchyard/core';

export interface DecisionLogDeps {
  log: DecisionLog;
  /** Told about a record that could not be written (no request data in it). */
  onError?: (error: unknown) => void;
}

export async function decisionLogStep(
  deps: DecisionLogDeps | undefined,
  registry: CompiledRegistry,
  facts: Omit<DecisionFacts, 'prior'>,
): Promise<void> {
  if (!deps) return;
  const p = facts.decision.plan.primary;
  const prior = registry.modelsByKey.get(modelKey(p.model, p.version))?.quality[facts.request.task];
  try {
    await deps.log.put(decisionRecordOf({ ...facts, ...(prior === undefined ? {} : { prior }) }));
  } catch (error) {
    deps.onError?.(error);
  }
}
