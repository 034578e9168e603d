// The rollout state machine's step function: begin a step (canary weight), evaluate its gates
// (a policy rollout's on the decision log), promote, or roll back (see rollout-steps.service.ts and adapters rollouts.lifecycle.ts).
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createDocumentClient,
  DynamoDbDecisionLog,
  DynamoDbHealthStore,
  DynamoDbModelRegistry,
  DynamoDbRolloutStore,
  EmfMetrics,
  RolloutLifecycle,
} from '@switchyard/adapters';
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
const lifecycle = new RolloutLifecycle({
  rollouts: new DynamoDbRolloutStore({ client: ddb, tableName: config.ROLLOUTS_TABLE }),
  registry: new DynamoDbModelRegistry({ client: ddb, tableName: config.REGISTRY_TABLE }),
  health: new DynamoDbHealthStore({ client: ddb, tableName: config.HEALTH_TABLE }),
  decisions: new DynamoDbDecisionLog({ client: ddb, tableName: config.DECISIONS_TABLE }),
  now: Date.now,
});

const metrics = new EmfMetrics({ serviceName: METRIC_SERVICE.rollouts });

/** `begin-step`, `evaluate:promoted`...: the step's action and the status it reached (bounded). */
function stepOutcome(event: unknown, result: StepResult): string {
  const action = (event as { action?: unknown } | null)?.action;
  const status = (result as { status?: unknown }).status;
  return [
    typeof action === 'string' ? action : 'unknown',
    ...(typeof status === 'string' ? [status] : []),
  ].join(':');
}

export const handler = async (event: unknown): Promise<StepResult> => {
  const result = await runRolloutStep(lifecycle, event);
  metrics.add('rolloutSteps', { [DIMENSION.outcome]: stepOutcome(event, result) });
  metrics.flush();
  logger.info('rollout step', {
    event: event as Record<string, unknown>,
    result: result as unknown as Record<string, unknown>,
  });
  return result;
};
