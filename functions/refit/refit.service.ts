// The scheduled refit (issue 13): joins the feedback of the decision log's window with its
// decisions (explicit scores, implicit rewards for failures and retries), refits the learned
// state from them (core refitLearnedState: ridge statistics per model version, λ solved per
// learned policy on its most recent contexts) and writes it for the routers, which read it with
// their cached snapshot. Incremental: the stored state carries a watermark; a run folds only the
// contributions timed in [watermark, now − visibility lag) (core learningEventsBetween: feedback at its own time,
// implicit rewards once settled, late feedback replacing an implicit reward), and writes the
// state only over the revision it read, so a crashed run folds nothing and of two racing runs
// one folds. Feedback later than the window after its decision is not counted.
// A learned canary's verdict is not the refit's: the rollout workflow (`kind: policy`) owns it.
import type { CompiledRegistry, DecisionLog, LearnedState } from '@switchyard/core';
import {
  emptyLearnedState,
  lambdaContextsOf,
  learningEventsBetween,
  refitLearnedState,
} from '@switchyard/core';

/** Decisions older than this are not refit on (the table keeps them 30 days). @default 7 days */
export const DEFAULT_REFIT_WINDOW_MS = 7 * 24 * 3600 * 1000;
/** λ is solved on at most this many of a policy's latest decisions. */
export const LAMBDA_SAMPLE = 2000;

export interface RefitDeps {
  log: Pick<DecisionLog, 'since'>;
  state: {
    get(): Promise<LearnedState | undefined>;
    /** False when the stored revision is no longer `expectedRev` (another refit wrote first). */
    put(state: LearnedState, options: { expectedRev: number }): Promise<boolean>;
  };
  registry: { get(): Promise<CompiledRegistry> };
  now: () => number;
  windowMs?: number;
  /** When an implicit reward is final after its decision. @default DEFAULT_SETTLE_MS (30 s, the retry window) */
  settleMs?: number;
  /**
   * How far behind `now` a run's watermark stays, so a record written just before the run but not
   * yet visible to its (eventually consistent) scan is folded by the next run instead of never.
   * @default 10_000
   */
  visibilityLagMs?: number;
}

export interface RefitSummary {
  decisions: number;
  /** Events folded this run (net of retractions). */
  events: number;
  /** Events in the state after this run. */
  total: number;
  /** False when another refit wrote the state first (this run's fold was dropped; the next one folds). */
  written: boolean;
  skipped: number;
  arms: number;
  lambda: Record<string, number>;
}

/** Default `RefitDeps.visibilityLagMs`. */
export const DEFAULT_VISIBILITY_LAG_MS = 10_000;

export async function refit(deps: RefitDeps): Promise<RefitSummary> {
  const now = deps.now();
  const [records, registry, stored] = await Promise.all([
    deps.log.since(now - (deps.windowMs ?? DEFAULT_REFIT_WINDOW_MS)),
    deps.registry.get(),
    deps.state.get(),
  ]);
  const base = stored ?? emptyLearnedState(now);
  const to = Math.max(now - (deps.visibilityLagMs ?? DEFAULT_VISIBILITY_LAG_MS), base.watermark);
  const contexts = new Map(
    [...lambdaContextsOf(records)].map(([policy, list]) => [policy, list.slice(-LAMBDA_SAMPLE)] as const),
  );
  const result = refitLearnedState({
    state: base,
    events: learningEventsBetween(records, base.watermark, to, deps.settleMs),
    contexts,
    policies: registry.registry.policies,
    now,
  });
  const next = { ...result.state, watermark: to, rev: base.rev + 1 };
  const written = await deps.state.put(next, { expectedRev: base.rev });
  return {
    decisions: records.length,
    events: written ? result.folded : 0,
    total: written ? next.events : base.events,
    written,
    skipped: result.skipped,
    arms: Object.keys((written ? next : base).arms).length,
    lambda: result.lambda,
  };
}
