// The scheduled refit (issue 13): joins the feedback of the decision log's window with its
// decisions (explicit scores, implicit rewards for failures and retries), refits the learned
// state from them (core refitLearnedState: ridge statistics per model version, λ solved per
// learned policy on its most recent contexts) and writes it for the routers, which read it with
// their cached snapshot. Incremental: the stored state carries a watermark; a run folds only the
// contributions timed in [watermark, now − visibility lag) (core learningEventsBetween: feedback at its own time,
// implicit rewards once settled, late feedback replacing an implicit reward), and writes the
// state only over the revision it read, so a crashed run folds nothing and of two racing runs
// one folds. Feedback later than the window after its decision is not counted.
// It also runs the gate of every learned canary (core learnedCanaryGate) and writes the verdict
// to the policy: promoted to `strategy: learned`, or rolled back to canary weight 0.
import type { CanaryGate, CompiledRegistry, DecisionLog, LearnedState, Policy } from '@switchyard/core';
import {
  ConflictError,
  emptyLearnedState,
  lambdaContextsOf,
  learnedCanaryGate,
  learningEventsBetween,
  PolicySchema,
  promotedLearnedPolicy,
  refitLearnedState,
  rolledBackLearnedPolicy,
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
  /** Where canary verdicts are written (the registry table); without it the gates only report. */
  policies?: PolicyStore;
}

/** The registry's policy items with their revision (DynamoDbModelRegistry). */
export interface PolicyStore {
  item(kind: 'policy', name: string): Promise<{ doc: unknown; rev: number } | undefined>;
  putPolicy(doc: Policy, options: { expectedRev: number }): Promise<unknown>;
}

export interface CanaryOutcome extends CanaryGate {
  policy: string;
  /** Whether the verdict was written to the policy (false: waiting, no store, or it changed meanwhile). */
  applied: boolean;
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
  canaries: CanaryOutcome[];
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
  const canaries: CanaryOutcome[] = [];
  for (const p of registry.registry.policies) {
    const canary = p.strategy !== 'learned' ? p.learning?.canary : undefined;
    if (!canary || canary.weight === 0) continue;
    const gate = learnedCanaryGate(records, p.name, canary);
    const applied =
      gate.verdict !== 'wait' && deps.policies ? await applyVerdict(deps.policies, p, gate) : false;
    canaries.push({ policy: p.name, ...gate, applied });
  }
  return {
    decisions: records.length,
    events: written ? result.folded : 0,
    total: written ? next.events : base.events,
    written,
    skipped: result.skipped,
    arms: Object.keys((written ? next : base).arms).length,
    lambda: result.lambda,
    canaries,
  };
}

/**
 * Writes a promotion or rollback onto the stored policy, only if it is still the one the gate
 * judged (same strategy and canary): a concurrent edit wins and the next refit judges again.
 */
async function applyVerdict(store: PolicyStore, judged: Policy, gate: CanaryGate): Promise<boolean> {
  const item = await store.item('policy', judged.name);
  if (!item) return false;
  const stored = PolicySchema.parse(item.doc);
  const same =
    stored.strategy === judged.strategy &&
    JSON.stringify(stored.learning?.canary) === JSON.stringify(judged.learning?.canary);
  if (!same) return false;
  const next = gate.verdict === 'promote' ? promotedLearnedPolicy(stored) : rolledBackLearnedPolicy(stored);
  try {
    await store.putPolicy(next, { expectedRev: item.rev });
    return true;
  } catch (err) {
    if (err instanceof ConflictError) return false;
    throw err;
  }
}
