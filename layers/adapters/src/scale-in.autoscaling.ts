// Scale-in suspension on Application Auto Scaling scalable targets of SageMaker endpoint variants
// (`endpoint/<name>/variant/<variant>`): DescribeScalableTargets finds which of the asked targets
// exist (a target not registered, i.e. not scaled by the stack, is skipped, never created), then
// RegisterScalableTarget sets `SuspendedState.DynamicScalingInSuspended` on those whose flag
// differs, keeping the other two flags as they were. Idempotent: a second call changes nothing.
// Exported as `@switchyard/adapters/autoscaling` (not the index), so only the rollout step
// function loads this SDK client.
import type {
  ApplicationAutoScalingClientConfig,
  ScalableTarget,
} from '@aws-sdk/client-application-auto-scaling';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DEFAULT_REQUEST_HANDLER } from './aws-clients.ts';

/** The SageMaker scalable dimension and namespace; the JSON 1.1 target prefix (local server). */
export const SAGEMAKER_SCALING = {
  serviceNamespace: 'sagemaker',
  scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
  targetPrefix: 'AnyScaleFrontendService.',
} as const;

/** DescribeScalableTargets takes at most this many resource ids a call. */
const DESCRIBE_MAX_IDS = 50;

/** An Application Auto Scaling client with production settings. */
export function createApplicationAutoScalingClient(
  config: ApplicationAutoScalingClientConfig = {},
): ApplicationAutoScalingClient {
  return new ApplicationAutoScalingClient({
    maxAttempts: 3,
    requestHandler: DEFAULT_REQUEST_HANDLER,
    ...config,
  });
}

/** What one call did, by resource id. */
export interface ScaleInChange {
  /** Targets whose flag this call set. */
  changed: string[];
  /** Targets that already had the flag. */
  unchanged: string[];
  /** Asked for but not registered with Application Auto Scaling (skipped). */
  missing: string[];
}

/** The port the rollout steps use (one implementation here; tests use the same). */
export interface ScaleInControl {
  setScaleInSuspended(resourceIds: readonly string[], suspended: boolean): Promise<ScaleInChange>;
}

export class ApplicationAutoScalingScaleIn implements ScaleInControl {
  constructor(private readonly client: ApplicationAutoScalingClient) {}

  async setScaleInSuspended(resourceIds: readonly string[], suspended: boolean): Promise<ScaleInChange> {
    const ids = [...new Set(resourceIds)];
    const found = new Map<string, ScalableTarget>();
    for (let i = 0; i < ids.length; i += DESCRIBE_MAX_IDS) {
      let nextToken: string | undefined;
      do {
        const page = await this.client.send(
          new DescribeScalableTargetsCommand({
            ServiceNamespace: SAGEMAKER_SCALING.serviceNamespace,
            ScalableDimension: SAGEMAKER_SCALING.scalableDimension,
            ResourceIds: ids.slice(i, i + DESCRIBE_MAX_IDS),
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
        for (const t of page.ScalableTargets ?? []) if (t.ResourceId) found.set(t.ResourceId, t);
        nextToken = page.NextToken;
      } while (nextToken);
    }
    const change: ScaleInChange = { changed: [], unchanged: [], missing: [] };
    for (const id of ids) {
      const target = found.get(id);
      if (!target) {
        change.missing.push(id);
        continue;
      }
      const state = target.SuspendedState ?? {};
      if ((state.DynamicScalingInSuspended ?? false) === suspended) {
        change.unchanged.push(id);
        continue;
      }
      await this.client.send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: SAGEMAKER_SCALING.serviceNamespace,
          ScalableDimension: SAGEMAKER_SCALING.scalableDimension,
          ResourceId: id,
          SuspendedState: {
            DynamicScalingInSuspended: suspended,
            DynamicScalingOutSuspended: state.DynamicScalingOutSuspended ?? false,
            ScheduledScalingSuspended: state.ScheduledScalingSuspended ?? false,
          },
        }),
      );
      change.changed.push(id);
    }
    return change;
  }
}
