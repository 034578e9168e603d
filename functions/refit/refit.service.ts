// The scheduled refit (issue 13): joins the feedback of the decision log's window with its
// decisions (core learningEventsOf: explicit scores, implicit retries), refits the learned
// state from them (core refitLearnedState: ridge statistics per model version, λ solved per
// learned policy on its most recent contexts) and writes it for the routers, which read it with
// their cached snapshot. Refitting the whole window each run keeps it exactly-once however late
// feedback arrives (a record's feedback counts in every refit while the record is in the window).
import type { CompiledRegistry, DecisionLog, LearnedState } from '@switchyard/core';
import { emptyLearnedState, lambdaContextsOf, learningEventsOf, refitLearnedState } from '@switchyard/core';

/** Decisions older than this are not refit on (the table keeps them 30 days). @default 7 days */
export const DEFAULT_REFIT_WINDOW_MS = 7 * 24 * 3600 * 1000;
/** λ is solved on at most this many of a policy's latest decisions. */
export const LAMBDA_SAMPLE = 2000;

export interface RefitDeps {
  log: Pick<DecisionLog, 'since'>;
  state: { put(state: LearnedState): Promise<void> };
  registry: { get(): Promise<CompiledRegistry> };
  now: () => number;
  windowMs?: number;
}

export interface RefitSummary {
  decisions: number;
  events: number;
  skipped: number;
  arms: number;
  lambda: Record<string, number>;
}

export async function refit(deps: RefitDeps): Promise<RefitSummary> {
  const now = deps.now();
  const [records, registry] = await Promise.all([
    deps.log.since(now - (deps.windowMs ?? DEFAULT_REFIT_WINDOW_MS)),
    deps.registry.get(),
  ]);
  const contexts = new Map(
    [...lambdaContextsOf(records)].map(([policy, list]) => [policy, list.slice(-LAMBDA_SAMPLE)] as const),
  );
  const result = refitLearnedState({
    state: emptyLearnedState(now),
    events: learningEventsOf(records),
    contexts,
    policies: registry.registry.policies,
    now,
  });
  await deps.state.put(result.state);
  return {
    decisions: records.length,
    events: result.folded,
    skipped: result.skipped,
    arms: Object.keys(result.state.arms).length,
    lambda: result.lambda,
  };
}
