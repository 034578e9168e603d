// A rollout's whole life over the stores, shared by the admin function (start, manual rollback)
// and the rollout state machine's steps (begin a step, evaluate its gates, promote, roll back):
//
// - begin step i: the policy's canary entry gets weight steps[i]% (registry write first, then the
//   record), and the step's baseline is the candidate's and stable's cumulative passive counters;
// - evaluate: the counters now minus the baseline, judged by the core's gates (pass, wait for
//   more traffic, breach);
// - promote: record first (only if still running), then canary {stable: candidate, weight 0},
//   candidate `active`, old stable `staged` (reachable through a canary or `id@version` only);
// - roll back: record first (only if still running), then canary weight 0 and the candidate
//   marked `failed` with the reason. Idempotent.
// Whichever step finds the record no longer running re-applies its final state to the registry,
// so a step racing a manual rollback converges on the rollback.
// A learned policy rollout (`kind: policy`) runs through the same methods and the same workflow,
// with a shadow step (0 %) before its `steps`; its registry edits and its gate are in
// rollouts.policy.ts.
import type {
  AnyRolloutRequest,
  Canary,
  DecisionLog,
  GateVerdict,
  Model,
  ModelRollout,
  Policy,
  Registry,
  Rollout,
  RolloutOutcome,
  VersionCounters,
} from '@switchyard/core';
import {
  ConflictError,
  canaryOf,
  evaluateGates,
  InvalidRequestError,
  isPolicyRollout,
  ModelSchema,
  modelKey,
  NotFoundError,
  PolicySchema,
  policyRolloutPhases,
  promotedCanary,
  rolledBackCanary,
  stepCanary,
  stepWeight,
  sumCounters,
  versionWindow,
  withCanary,
  withStatus,
} from '@switchyard/core';
import type { HealthRecord } from './health.dynamodb.ts';
import type { DynamoDbModelRegistry } from './registry.dynamodb.ts';
import type { DynamoDbRolloutStore } from './rollouts.dynamodb.ts';
import {
  checkPolicyRollout,
  evaluatePolicyStep,
  finalEdit,
  LEARNED_LOCK_SCOPE,
  shadowEdit,
  stepEdit,
} from './rollouts.policy.ts';

export interface RolloutWorkflowControl {
  start(rolloutId: string, input: unknown): Promise<string>;
  stop(executionArn: string, cause: string): Promise<boolean>;
}

export interface RolloutLifecycleDeps {
  rollouts: Pick<DynamoDbRolloutStore, 'create' | 'get' | 'update' | 'lock' | 'unlock' | 'list'>;
  registry: Pick<DynamoDbModelRegistry, 'load' | 'item' | 'putPolicy' | 'putModel'>;
  health: { records(): Promise<HealthRecord[]> };
  /** The decision log a policy rollout's gates read (only the workflow's steps evaluate). */
  decisions?: Pick<DecisionLog, 'since'>;
  /** Only the admin function starts and stops executions. */
  workflow?: RolloutWorkflowControl;
  now: () => number;
  newId?: () => string;
}

/** The state machine's input. */
export interface RolloutExecutionInput {
  rollout_id: string;
  wait_seconds: number;
}

export interface BeginStepResult {
  weight: number;
  is_last: boolean;
  stopped: boolean;
}

export interface EvaluateResult {
  verdict: GateVerdict | 'stopped';
  reason: string;
}

/** Optimistic write attempts of one registry document. */
const REGISTRY_ATTEMPTS = 8;

const randomId = (): string => `ro-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** The lock a rollout holds: one per canary entry (model) or per policy's learned rollout. */
const lockScope = (r: AnyRolloutRequest): string => (r.kind === 'policy' ? LEARNED_LOCK_SCOPE : r.model);
/** What a rollout moves, for messages. */
const subject = (r: AnyRolloutRequest): string =>
  r.kind === 'policy'
    ? `the learned strategy of policy "${r.policy}"`
    : `the canary of ${r.model} in policy "${r.policy}"`;

export class RolloutLifecycle {
  constructor(private readonly deps: RolloutLifecycleDeps) {}

  /** Validates a rollout against the registry, takes its lock, stores it and starts its execution. */
  async start(request: AnyRolloutRequest): Promise<Rollout> {
    const registry = await this.deps.registry.load();
    if (request.kind === 'policy') checkPolicyRollout(registry, request);
    else checkModelRollout(registry, request);
    const workflow = this.requireWorkflow();
    const now = this.deps.now();
    const id = (this.deps.newId ?? randomId)();
    const scope = lockScope(request);
    let holder = await this.deps.rollouts.lock(request.policy, scope, id);
    if (holder !== undefined && (await this.deps.rollouts.get(holder))?.rollout.status !== 'running') {
      // The holder has ended and is only releasing its lock: take it over.
      holder = await this.deps.rollouts.lock(request.policy, scope, id, holder);
    }
    if (holder !== undefined) {
      throw new ConflictError(
        `rollout ${holder} is already managing ${subject(request)}; roll it back or let it finish first`,
      );
    }
    const record = { id, status: 'running', created_at: now, updated_at: now, current_step: 0 } as const;
    const rollout = { ...request, ...record, history: [] } as Rollout;
    await this.deps.rollouts.create(rollout);
    try {
      // Shadow before the canary steps: the learned strategy decides and logs, static serves.
      if (isPolicyRollout(rollout)) await this.editPolicy(rollout.policy, shadowEdit(rollout));
      const input: RolloutExecutionInput = { rollout_id: id, wait_seconds: request.wait_seconds };
      const arn = await workflow.start(id, input);
      return await this.deps.rollouts.update(id, (r) => ({ ...r, execution_arn: arn }));
    } catch (err) {
      await this.finish(
        id,
        {
          status: 'rolled-back',
          reason: `could not start the workflow: ${String(err)}`,
          at: now,
          by: 'error',
        },
        false,
      );
      throw err;
    }
  }

  async get(id: string): Promise<Rollout> {
    const found = await this.deps.rollouts.get(id);
    if (!found) throw new NotFoundError(`No rollout "${id}".`);
    return found.rollout;
  }

  list(): Promise<Rollout[]> {
    return this.deps.rollouts.list();
  }

  /** `POST /admin/rollouts/{id}/rollback`: stops the execution and rolls back now (idempotent). */
  async rollbackNow(id: string, reason = 'rolled back by an operator'): Promise<Rollout> {
    const rollout = await this.get(id);
    if (rollout.status === 'promoted') {
      const what = isPolicyRollout(rollout)
        ? `the learned strategy of policy "${rollout.policy}" (set its strategy back to go back)`
        : `${modelKey(rollout.model, rollout.candidate)}; start a new rollout to go back`;
      throw new ConflictError(`rollout ${id} already promoted ${what}`);
    }
    if (rollout.execution_arn && rollout.status === 'running') {
      await this.requireWorkflow().stop(rollout.execution_arn, reason);
    }
    return this.finish(id, { status: 'rolled-back', reason, at: this.deps.now(), by: 'manual' }, true);
  }

  /** Step `index`: set the canary weight and take the baseline. */
  async beginStep(id: string, index: number): Promise<BeginStepResult> {
    const rollout = await this.get(id);
    const percents = isPolicyRollout(rollout) ? policyRolloutPhases(rollout) : rollout.steps;
    const percent = percents[index];
    if (percent === undefined) throw new Error(`rollout ${id} has no step ${index}`);
    const result = { weight: stepWeight(percent), is_last: index === percents.length - 1 };
    if (rollout.status !== 'running') {
      await this.applyFinal(rollout);
      return { ...result, stopped: true };
    }
    let entry: Rollout['history'][number];
    if (isPolicyRollout(rollout)) {
      await this.editPolicy(rollout.policy, stepEdit(rollout, percent));
      entry = { index, percent, started_at: this.deps.now(), evaluations: 0 };
    } else {
      if (index === 0) await this.ensureCandidateRoutable(rollout);
      await this.setCanary(
        rollout.policy,
        stepCanary(rollout.model, rollout.stable, rollout.candidate, percent),
      );
      const baseline = await this.counters(rollout);
      entry = { index, percent, started_at: this.deps.now(), baseline, evaluations: 0 };
    }
    const stored = await this.deps.rollouts.update(id, (r) =>
      r.status !== 'running'
        ? undefined
        : ({
            ...r,
            current_step: index,
            history: [...r.history.filter((h) => h.index !== index), entry],
          } as Rollout),
    );
    if (stored.status !== 'running') {
      await this.applyFinal(stored);
      return { ...result, stopped: true };
    }
    return { ...result, stopped: false };
  }

  /** The gates of step `index` on the window since it began. */
  async evaluate(id: string, index: number, extensions: number): Promise<EvaluateResult> {
    const rollout = await this.get(id);
    if (rollout.status !== 'running') {
      await this.applyFinal(rollout);
      return { verdict: 'stopped', reason: `rollout is ${rollout.status}` };
    }
    if (isPolicyRollout(rollout)) {
      if (!this.deps.decisions) throw new Error('this function cannot read the decision log');
      const evaluation = await evaluatePolicyStep(
        this.deps.decisions,
        rollout,
        begunStep(rollout.history, id, index),
        extensions,
        this.deps.now(),
      );
      return this.recordEvaluation(id, index, evaluation, (r) => r);
    }
    const step = begunStep(rollout.history, id, index);
    const now = await this.counters(rollout);
    const candidate = versionWindow(now.candidate, step.baseline.candidate);
    const stable = versionWindow(now.stable, step.baseline.stable);
    const evaluation = evaluateGates({
      at: this.deps.now(),
      candidate,
      stable,
      ...(rollout.stable_p95_reference_ms !== undefined
        ? { stableReferenceP95: rollout.stable_p95_reference_ms }
        : {}),
      gates: rollout.gates,
      extensions,
      maxExtensions: rollout.max_extensions,
    });
    return this.recordEvaluation(id, index, evaluation, (r) => {
      if (isPolicyRollout(r)) return r;
      const reference =
        stable.requests >= r.gates.min_requests && stable.p95_ms !== undefined
          ? stable.p95_ms
          : r.stable_p95_reference_ms;
      return reference !== undefined ? { ...r, stable_p95_reference_ms: reference } : r;
    });
  }

  /** Stores a step's gate check in its history (and `also`), only while the rollout runs. */
  private async recordEvaluation(
    id: string,
    index: number,
    evaluation: { at: number; verdict: GateVerdict; reason: string },
    also: (r: Rollout) => Rollout,
  ): Promise<EvaluateResult> {
    const stored = await this.deps.rollouts.update(id, (r) => {
      if (r.status !== 'running') return undefined;
      const ended =
        evaluation.verdict === 'wait'
          ? {}
          : {
              ended_at: evaluation.at,
              result: evaluation.verdict === 'pass' ? ('passed' as const) : ('breached' as const),
            };
      const history = r.history.map((h) =>
        h.index !== index
          ? h
          : { ...h, evaluations: h.evaluations + 1, last_evaluation: evaluation, ...ended },
      );
      return also({ ...r, history } as Rollout);
    });
    if (stored.status !== 'running') {
      await this.applyFinal(stored);
      return { verdict: 'stopped', reason: `rollout is ${stored.status}` };
    }
    return { verdict: evaluation.verdict, reason: evaluation.reason };
  }

  /** The last step passed: the candidate (or the learned strategy) becomes what serves. */
  async promote(id: string): Promise<Rollout> {
    const rollout = await this.get(id);
    const reason = isPolicyRollout(rollout)
      ? `every step passed its gates: policy "${rollout.policy}" serves with the learned strategy`
      : `every step passed its gates: ${modelKey(rollout.model, rollout.candidate)} is stable`;
    return this.finish(id, { status: 'promoted', reason, at: this.deps.now(), by: 'completed' }, true);
  }

  /** The state machine's rollback: a breached gate or a workflow error. */
  async rollbackFromWorkflow(
    id: string,
    state: { gate?: { verdict?: string; reason?: string }; error?: { Error?: string; Cause?: string } },
  ): Promise<Rollout> {
    const breach = state.gate?.verdict === 'breach' && state.error === undefined;
    const reason = breach
      ? `gate breached: ${state.gate?.reason ?? 'unknown'}`
      : `workflow error: ${state.error?.Error ?? 'unknown'}${state.error?.Cause ? `: ${state.error.Cause.slice(0, 500)}` : ''}`;
    return this.finish(
      id,
      { status: 'rolled-back', reason, at: this.deps.now(), by: breach ? 'gates' : 'error' },
      true,
    );
  }

  /**
   * Ends a running rollout: the registry first (so whoever reads the final status finds the
   * registry changed), then the record (only if still running), then the registry again. Then the
   * lock goes.
   */
  private async finish(id: string, outcome: RolloutOutcome, applyRegistry: boolean): Promise<Rollout> {
    const current = await this.get(id);
    const ended = (r: Rollout): Rollout =>
      ({
        ...r,
        status: outcome.status,
        outcome,
        history: (r.history as Array<Rollout['history'][number]>).map((h) =>
          h.index === r.current_step && h.result === undefined
            ? {
                ...h,
                ended_at: outcome.at,
                result: outcome.by === 'gates' ? ('breached' as const) : ('stopped' as const),
              }
            : h,
        ),
      }) as Rollout;
    if (applyRegistry && current.status === 'running') await this.applyFinal(ended(current));
    const stored = await this.deps.rollouts.update(id, (r) =>
      r.status === 'running' ? ended(r) : undefined,
    );
    // Again from the stored record (whichever outcome won): a step that wrote a weight between the
    // two converges here, and a step starting later finds the record final and re-applies it.
    // Unchanged documents are not rewritten.
    if (applyRegistry) await this.applyFinal(stored);
    await this.deps.rollouts.unlock(stored.policy, lockScope(stored), stored.id);
    return stored;
  }

  /** Makes the registry match a finished rollout (idempotent); nothing while it runs. */
  private async applyFinal(rollout: Rollout): Promise<void> {
    if (isPolicyRollout(rollout)) {
      await this.editPolicy(rollout.policy, finalEdit(rollout), true);
      return;
    }
    const { model, stable, candidate } = rollout;
    if (rollout.status === 'promoted') {
      await this.setModel(model, candidate, (m) =>
        m.status === 'active' ? undefined : withStatus(m, 'active'),
      );
      await this.setCanary(rollout.policy, promotedCanary(model, candidate));
      await this.setModel(model, stable, (m) =>
        m.status === 'active'
          ? withStatus(m, 'staged', `replaced by ${candidate} (rollout ${rollout.id})`)
          : undefined,
      );
    } else if (rollout.status === 'rolled-back') {
      const reason = `rollout ${rollout.id} rolled back: ${rollout.outcome?.reason ?? 'unknown'}`;
      await this.setCanary(rollout.policy, rolledBackCanary(model, stable, candidate), true);
      await this.setModel(model, candidate, (m) =>
        m.status === 'failed' && m.status_reason === reason ? undefined : withStatus(m, 'failed', reason),
      );
    }
  }

  /** A failed or retired candidate is staged again so the canary can reach it. */
  private async ensureCandidateRoutable(rollout: ModelRollout): Promise<void> {
    await this.setModel(rollout.model, rollout.candidate, (m) =>
      m.status === 'failed' || m.status === 'retired'
        ? withStatus(m, 'staged', `rollout ${rollout.id}`)
        : undefined,
    );
  }

  /** Sum of the passive counters of the candidate's and stable's endpoints. */
  private async counters(
    rollout: ModelRollout,
  ): Promise<{ candidate: VersionCounters; stable: VersionCounters }> {
    const [registry, records] = await Promise.all([this.deps.registry.load(), this.deps.health.records()]);
    return {
      candidate: versionCounters(registry, records, rollout.model, rollout.candidate),
      stable: versionCounters(registry, records, rollout.model, rollout.stable),
    };
  }

  /** Replaces the policy's canary entry for `canary.model`. */
  private setCanary(policyName: string, canary: Canary, onlyIfPresent = false): Promise<void> {
    return this.editPolicy(
      policyName,
      (policy) => {
        const current = canaryOf(policy, canary.model);
        return current && sameCanary(current, canary) ? undefined : withCanary(policy, canary);
      },
      onlyIfPresent,
    );
  }

  /** Rewrites one policy with `change` (undefined: leave it), retrying when someone else wrote it meanwhile. */
  private async editPolicy(
    policyName: string,
    change: (p: Policy) => Policy | undefined,
    onlyIfPresent = false,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const item = await this.deps.registry.item('policy', policyName);
      if (!item) {
        if (onlyIfPresent) return;
        throw new NotFoundError(`policy "${policyName}" no longer exists`);
      }
      const next = change(PolicySchema.parse(item.doc));
      if (!next) return;
      try {
        await this.deps.registry.putPolicy(next, { expectedRev: item.rev });
        return;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= REGISTRY_ATTEMPTS) throw err;
      }
    }
  }

  /** Rewrites one model version with `change` (undefined: leave it), optimistically. */
  private async setModel(
    id: string,
    version: string,
    change: (m: Model) => Model | undefined,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const item = await this.deps.registry.item('model', modelKey(id, version));
      if (!item) return;
      const next = change(ModelSchema.parse(item.doc));
      if (!next) return;
      try {
        await this.deps.registry.putModel(next, { expectedRev: item.rev });
        return;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= REGISTRY_ATTEMPTS) throw err;
      }
    }
  }

  private requireWorkflow(): RolloutWorkflowControl {
    if (!this.deps.workflow) throw new Error('this function cannot start or stop rollout executions');
    return this.deps.workflow;
  }
}

function begunStep<S extends { index: number }>(history: readonly S[], id: string, index: number): S {
  const step = history.find((h) => h.index === index);
  if (!step) throw new Error(`rollout ${id} has not begun step ${index}`);
  return step;
}

/** A model rollout's request against the registry: the policy and both versions exist. */
function checkModelRollout(registry: Registry, request: Extract<AnyRolloutRequest, { kind: 'model' }>): void {
  if (!registry.policies.some((p) => p.name === request.policy)) {
    throw new InvalidRequestError(`policy: no policy "${request.policy}" in the registry`, {
      param: 'policy',
    });
  }
  for (const side of ['stable', 'candidate'] as const) {
    const version = request[side];
    if (!registry.models.some((m) => m.id === request.model && m.version === version)) {
      throw new InvalidRequestError(
        `${side}: no model version ${modelKey(request.model, version)} in the registry`,
        { param: side },
      );
    }
  }
}

function sameCanary(a: Canary, b: Canary): boolean {
  return a.model === b.model && a.stable === b.stable && a.candidate === b.candidate && a.weight === b.weight;
}

/** The summed passive counters of every endpoint serving `model@version`. */
export function versionCounters(
  registry: Pick<Registry, 'endpoints'>,
  records: readonly HealthRecord[],
  model: string,
  version: string,
): VersionCounters {
  const ids = new Set(
    registry.endpoints.filter((e) => e.model === model && e.version === version).map((e) => e.id),
  );
  return sumCounters(records.filter((r) => ids.has(r.health.endpoint)));
}
