// The refit function: run by an EventBridge schedule (locally a timer, SWITCHYARD_REFIT_INTERVAL_MS),
// refits the learned router's state from the decision log (refit.service.ts). Thin: wiring only.
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CachedRegistry,
  createDocumentClient,
  DynamoDbDecisionLog,
  DynamoDbLearnedStateStore,
  DynamoDbModelRegistry,
} from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import { DEFAULT_SETTLE_MS, z } from '@switchyard/core';
import { DEFAULT_VISIBILITY_LAG_MS, refit } from './refit.service.ts';

const config = parseConfig(
  z.object({
    DECISIONS_TABLE: z.string().min(1),
    REGISTRY_TABLE: z.string().min(1),
    REGISTRY_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(5000),
    /** When an implicit reward (retry, failure) is final after its decision; 30 s (the retry window). */
    REFIT_SETTLE_MS: z.coerce.number().int().nonnegative().default(DEFAULT_SETTLE_MS),
    /** How far the refit's watermark stays behind now (records not yet visible to the scan). */
    REFIT_LAG_MS: z.coerce.number().int().nonnegative().default(DEFAULT_VISIBILITY_LAG_MS),
  }),
);
const logger = new Logger({ serviceName: 'switchyard-refit' });
const client = createDocumentClient();
const registryTable = new DynamoDbModelRegistry({ client, tableName: config.REGISTRY_TABLE });
const registry = new CachedRegistry({
  source: registryTable,
  ttlMs: config.REGISTRY_CACHE_TTL_MS,
  now: Date.now,
});

export async function handler(): Promise<unknown> {
  const summary = await refit({
    log: new DynamoDbDecisionLog({ client, tableName: config.DECISIONS_TABLE }),
    state: new DynamoDbLearnedStateStore({ client, tableName: config.DECISIONS_TABLE }),
    registry,
    now: Date.now,
    settleMs: config.REFIT_SETTLE_MS,
    visibilityLagMs: config.REFIT_LAG_MS,
  });
  logger.info('learned state refit', { ...summary });
  return summary;
}
