// Scale-in protection during a model version rollout: the rollout workflow's SuspendScaleIn step
// (after Start) and ResumeScaleIn steps (before every end state) hold and restore scale-in on the
// stack-owned SageMaker endpoints (registry `autoscaling:`) of the rollout's stable and candidate
// versions, so a shifting traffic split never removes an instance the next step needs. Endpoints
// without `autoscaling:` are skipped; policy rollouts (no model versions) are a no-op. Resume
// restores scale-in on every such target, whoever suspended it, except the targets another running
// rollout holds (two policies may roll out the same model versions at once).
import type { Registry, Rollout } from '@switchyard/core';
import { NotFoundError, variantResourceId } from '@switchyard/core';
import type { DynamoDbModelRegistry } from './registry.dynamodb.ts';
import type { DynamoDbRolloutStore } from './rollouts.dynamodb.ts';
import type { ScaleInControl } from './scale-in.autoscaling.ts';

export interface RolloutScaleInDeps {
  rollouts: Pick<DynamoDbRolloutStore, 'get' | 'list'>;
  registry: Pick<DynamoDbModelRegistry, 'load'>;
  scaling: ScaleInControl;
}

export interface ScaleInStepResult {
  status: 'suspended' | 'resumed' | 'skipped';
  /** Scalable targets this step changed. */
  changed: string[];
  /** Targets already as asked (idempotent re-run). */
  unchanged: string[];
  /** Owned in the registry but not registered with Application Auto Scaling. */
  missing: string[];
  /** Resume only: left suspended for another running rollout. */
  held?: string[];
}

const SKIPPED: ScaleInStepResult = { status: 'skipped', changed: [], unchanged: [], missing: [] };

export class RolloutScaleIn {
  constructor(private readonly deps: RolloutScaleInDeps) {}

  /**
   * Suspends scale-in on the rollout's owned endpoint variants, if it is still running. A rollout
   * that ended meanwhile (an operator rolled back while this step ran, and the execution-ended
   * rule may already have resumed) is resumed again after, so nothing stays held.
   */
  async suspend(rolloutId: string): Promise<ScaleInStepResult> {
    const rollout = await this.rollout(rolloutId);
    if (rollout.status !== 'running') return SKIPPED;
    const targets = scaleInTargetsOf(rollout, await this.deps.registry.load());
    if (targets.length === 0) return SKIPPED;
    const change = await this.deps.scaling.setScaleInSuspended(targets, true);
    if ((await this.rollout(rolloutId)).status !== 'running') return this.resume(rolloutId);
    return { status: 'suspended', ...change };
  }

  /** Restores scale-in on the rollout's owned endpoint variants that no other running rollout holds. */
  async resume(rolloutId: string): Promise<ScaleInStepResult> {
    const rollout = await this.rollout(rolloutId);
    const registry = await this.deps.registry.load();
    const targets = scaleInTargetsOf(rollout, registry);
    if (targets.length === 0) return SKIPPED;
    const others = (await this.deps.rollouts.list()).filter(
      (r) => r.status === 'running' && r.id !== rolloutId,
    );
    const held = new Set(others.flatMap((r) => scaleInTargetsOf(r, registry)));
    const change = await this.deps.scaling.setScaleInSuspended(
      targets.filter((t) => !held.has(t)),
      false,
    );
    return { status: 'resumed', ...change, held: targets.filter((t) => held.has(t)) };
  }

  private async rollout(rolloutId: string): Promise<Rollout> {
    const found = await this.deps.rollouts.get(rolloutId);
    if (!found) throw new NotFoundError(`no rollout ${rolloutId}`);
    return found.rollout;
  }
}

/** The scalable targets of a rollout: its versions' SageMaker endpoints with `autoscaling:`. */
export function scaleInTargetsOf(rollout: Rollout, registry: Registry): string[] {
  if (rollout.kind !== 'model') return [];
  const versions = new Set([rollout.stable, rollout.candidate]);
  return registry.endpoints.flatMap((e) =>
    e.model === rollout.model && versions.has(e.version) && e.kind === 'sagemaker' && e.autoscaling
      ? [variantResourceId(e.target, e.autoscaling.variant)]
      : [],
  );
}
