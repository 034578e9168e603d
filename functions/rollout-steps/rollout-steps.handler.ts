// The rollout state machine's step function: begin a step (canary weight), evaluate its gates,
// promote, or roll back (see rollout-steps.service.ts and adapters rollouts.lifecycle.ts).
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createDocumentClient,
  DynamoDbHealthStore,
  DynamoDbModelRegistry,
  DynamoDbRolloutStore,
  RolloutLifecycle,
} from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import { z } from '@switchyard/core';
import { runRolloutStep, type StepResult } from './rollout-steps.service.ts';

const config = parseConfig(
  z.object({
    REGISTRY_TABLE: z.string().min(1),
    HEALTH_TABLE: z.string().min(1),
    ROLLOUTS_TABLE: z.string().min(1),
  }),
);

const logger = new Logger({ serviceName: 'switchyard-rollout-steps' });
const ddb = createDocumentClient();
const lifecycle = new RolloutLifecycle({
  rollouts: new DynamoDbRolloutStore({ client: ddb, tableName: config.ROLLOUTS_TABLE }),
  registry: new DynamoDbModelRegistry({ client: ddb, tableName: config.REGISTRY_TABLE }),
  health: new DynamoDbHealthStore({ client: ddb, tableName: config.HEALTH_TABLE }),
  now: Date.now,
});

export const handler = async (event: unknown): Promise<StepResult> => {
  const result = await runRolloutStep(lifecycle, event);
  logger.info('rollout step', {
    event: event as Record<string, unknown>,
    result: result as unknown as Record<string, unknown>,
  });
  return result;
};
