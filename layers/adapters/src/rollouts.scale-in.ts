// Scale-in protection during a model version rollout: the rollout workflow's SuspendScaleIn step
// (after Start) and ResumeScaleIn steps (before every end state) hold and restore scale-in on the
// stack-owned SageMaker endpoints (registry `autoscaling:`) of the rollout's stable and candidate
// versions, so a shifting traffic split never removes an instance the next step needs. Endpoints
// without `autoscaling:` are skipped; policy rollouts (no model versions) are a no-op. Resume
// restores scale-in on every such target, whoever suspended it.
import type { Rollout } from '@switchyard/core';
import { NotFoundError, variantResourceId } from '@switchyard/core';
import type { DynamoDbModelRegistry } from './registry.dynamodb.ts';
import type { DynamoDbRolloutStore } from './rollouts.dynamodb.ts';
import type { ScaleInControl } from './scale-in.autoscaling.ts';

export interface RolloutScaleInDeps {
  rollouts: Pick<DynamoDbRolloutStore, 'get'>;
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
}

const SKIPPED: ScaleInStepResult = { status: 'skipped', changed: [], unchanged: [], missing: [] };

export class RolloutScaleIn {
  constructor(private readonly deps: RolloutScaleInDeps) {}

  /** Suspends scale-in on the rollout's owned endpoint variants. */
  suspend(rolloutId: string): Promise<ScaleInStepResult> {
    return this.set(rolloutId, true);
  }

  /** Restores scale-in on the rollout's owned endpoint variants. */
  resume(rolloutId: string): Promise<ScaleInStepResult> {
    return this.set(rolloutId, false);
  }

  /** The scalable targets of a rollout: its versions' SageMaker endpoints with `autoscaling:`. */
  async targetsOf(rollout: Rollout): Promise<string[]> {
    if (rollout.kind !== 'model') return [];
    const versions = new Set([rollout.stable, rollout.candidate]);
    const registry = await this.deps.registry.load();
    return registry.endpoints.flatMap((e) =>
      e.model === rollout.model && versions.has(e.version) && e.kind === 'sagemaker' && e.autoscaling
        ? [variantResourceId(e.target, e.autoscaling.variant)]
        : [],
    );
  }

  private async set(rolloutId: string, suspended: boolean): Promise<ScaleInStepResult> {
    const found = await this.deps.rollouts.get(rolloutId);
    if (!found) throw new NotFoundError(`no rollout ${rolloutId}`);
    const targets = await this.targetsOf(found.rollout);
    if (targets.length === 0) return SKIPPED;
    const change = await this.deps.scaling.setScaleInSuspended(targets, suspended);
    return { status: suspended ? 'suspended' : 'resumed', ...change };
  }
}
