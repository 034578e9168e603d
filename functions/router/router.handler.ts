// Router function: the synchronous request path behind API Gateway. POST /v1/chat/completions,
// POST /v1/completions, POST /v1/embeddings, GET /v1/models, POST /v1/route (dry run) and
// POST /v1/invocations. Wiring only: the configuration from the environment and the DynamoDB
// adapters, at module scope; router.factory.ts builds the handler over them, the work is in
// router.service.ts and the core.
// Streamified (Lambda response streaming behind a STREAM-mode integration): `stream: true`
// answers are SSE written as they come; every other answer goes out whole through the same stream.
import { Logger } from '@aws-lambda-powertools/logger';
import { parseConfig } from '@switchyard/adapters/lambda';
import {
  createDocumentClient,
  createInferenceClient,
  DEFAULT_INFLIGHT_FRESH_MS,
  DynamoDbBudgetStore,
  DynamoDbDecisionLog,
  DynamoDbHealthStore,
  DynamoDbLearnedStateStore,
  DynamoDbModelRegistry,
  DynamoDbTenantBudgets,
  DynamoDbUsageStore,
  EmfMetrics,
} from '@switchyard/adapters/router';
import { DEFAULT_HEALTH_FRESH_MS, MAX_BODY_BYTES, METRIC_SERVICE } from '@switchyard/core';
import * as z from 'zod';
import { createRouterHandler } from './router.factory.ts';

const config = parseConfig(
  z.object({
    REGISTRY_TABLE: z.string().min(1),
    HEALTH_TABLE: z.string().min(1),
    REGISTRY_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(5000),
    HEALTH_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(2000),
    HEALTH_FRESH_MS: z.coerce.number().int().positive().default(DEFAULT_HEALTH_FRESH_MS),
    MAX_BODY_BYTES: z.coerce.number().int().positive().default(MAX_BODY_BYTES),
    OUTCOME_FLUSH_MS: z.coerce.number().int().nonnegative().default(1000),
    /** Other containers' in-flight reports older than this are ignored (they report every 4 s). */
    INFLIGHT_FRESH_MS: z.coerce.number().int().positive().default(DEFAULT_INFLIGHT_FRESH_MS),
    TENANTS_TABLE: z.string().min(1),
    BUDGETS_TABLE: z.string().min(1),
    USAGE_TABLE: z.string().min(1),
    /** A tenant's budget change takes effect within this long. */
    TENANT_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(5000),
    /**
     * Lifetime of a budget lease from its last renewal: a dead container's lease is settled by the
     * sweeper this long after it last renewed (renewed at half, drained in its last sixth).
     */
    BUDGET_LEASE_TTL_MS: z.coerce.number().int().min(600).default(60_000),
    /** EMF metrics are written at the end of an invocation, at most this often (managed instances: 1 s). */
    METRICS_FLUSH_MS: z.coerce.number().int().nonnegative().default(0),
    /** The decision log (learned routing); unset, no decision is recorded. */
    DECISIONS_TABLE: z.string().min(1).optional(),
  }),
);

const logger = new Logger({ serviceName: 'switchyard-router' });
const ddb = createDocumentClient();
const router = createRouterHandler({
  stores: {
    registry: new DynamoDbModelRegistry({ client: ddb, tableName: config.REGISTRY_TABLE }),
    health: new DynamoDbHealthStore({
      client: ddb,
      tableName: config.HEALTH_TABLE,
      inflightFreshMs: config.INFLIGHT_FRESH_MS,
    }),
    budgets: new DynamoDbBudgetStore({ client: ddb, tableName: config.BUDGETS_TABLE }),
    usage: new DynamoDbUsageStore({ client: ddb, tableName: config.USAGE_TABLE }),
    tenants: new DynamoDbTenantBudgets({ client: ddb, tableName: config.TENANTS_TABLE }),
    ...(config.DECISIONS_TABLE
      ? {
          decisions: {
            log: new DynamoDbDecisionLog({ client: ddb, tableName: config.DECISIONS_TABLE }),
            learned: new DynamoDbLearnedStateStore({ client: ddb, tableName: config.DECISIONS_TABLE }),
          },
        }
      : {}),
  },
  inference: createInferenceClient(),
  settings: config,
  logger,
  emf: new EmfMetrics({ serviceName: METRIC_SERVICE.router, minFlushIntervalMs: config.METRICS_FLUSH_MS }),
});

// What the Lambda service does to an execution environment it kills: nothing of it runs again.
// The local stack's `runtime.restart` calls it to kill a router container mid-batch (its leases
// stay for the sweeper, what it had not written stays unwritten).
let frozen = false;
ddb.middlewareStack.add(
  (next) => async (args) => {
    if (frozen) throw new Error('this container was killed');
    return next(args);
  },
  { step: 'initialize', name: 'killedContainer' },
);
export function freeze(): void {
  frozen = true;
  router.stop();
}

export const handler = router.handler;
