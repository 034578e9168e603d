// The rollout state machine's step function: begin a step (canary weight), evaluate its gates
// (a policy rollout's on the decision log), promote, or roll back (see rollout-steps.service.ts
// and adapters rollouts.lifecycle.ts), and hold or restore scale-in on the rollout's owned
// endpoints (adapters rollouts.scale-in.ts).
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createDocumentClient,
  DynamoDbDecisionLog,
  DynamoDbHealthStore,
  DynamoDbModelRegistry,
  DynamoDbRolloutStore,
  EmfMetrics,
  RolloutLifecycle,
  RolloutScaleIn,
} from '@switchyard/adapters';
import {
  ApplicationAutoScalingScaleIn,
  createApplicationAutoScalingClient,
} from '@switchyard/adapters/autoscaling';
import { parseConfig } from '@switchyard/adapters/lambda';
import { DIMENSION, METRIC_SERVICE, z } from '@switchyard/core';
import { runRolloutStep, type StepResult } from './rollout-steps.service.ts';

const config = parseConfig(
  z.object({
    REGISTRY_TABLE: z.string().min(1),
    HEALTH_TABLE: z.string().min(1),
    ROLLOUTS_TABLE: z.string().min(1),
    DECISIONS_TABLE: z.string().min(1),
  }),
);

const logger = new Logger({ serviceName: 'switchyard-rollout-steps' });
const ddb = createDocumentClient();
const rollouts = new DynamoDbRolloutStore({ client: ddb, tableName: config.ROLLOUTS_TABLE });
const registry = new DynamoDbModelRegistry({ client: ddb, tableName: config.REGISTRY_TABLE });
const lifecycle = new RolloutLifecycle({
  rollouts,
  registry,
  health: new DynamoDbHealthStore({ client: ddb, tableName: config.HEALTH_TABLE }),
  decisions: new DynamoDbDecisionLog({ client: ddb, tableName: config.DECISIONS_TABLE }),
  now: Date.now,
});
const scaleIn = new RolloutScaleIn({
  rollouts,
  registry,
  scaling: new ApplicationAutoScalingScaleIn(createApplicationAutoScalingClient()),
});

const metrics = new EmfMetrics({ serviceName: METRIC_SERVICE.rollouts });

/**
 * `begin-step`, `evaluate:promoted`, `resume-scale-in:resumed`...: the step's action and the status
 * it reached (bounded: the input was validated). An event without `action` is the execution-ended
 * event (the service refuses anything else).
 */
function stepOutcome(event: unknown, result: StepResult): string {
  const action = (event as { action?: unknown } | null)?.action;
  const status = (result as { status?: unknown }).status;
  return [
    typeof action === 'string' ? action : 'execution-ended',
    ...(typeof status === 'string' ? [status] : []),
  ].join(':');
}

export const handler = async (event: unknown): Promise<StepResult> => {
  const result = await runRolloutStep(lifecycle, event, scaleIn);
  metrics.add('rolloutSteps', { [DIMENSION.outcome]: stepOutcome(event, result) });
  metrics.flush();
  logger.info('rollout step', {
    event: event as Record<string, unknown>,
    result: result as unknown as Record<string, unknown>,
  });
  return result;
};
