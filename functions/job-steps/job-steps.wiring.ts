// Clients and config shared by the job workflow's step handlers, built once per container. The
// steps are traced with Powertools Tracer (X-Ray subsegments for DynamoDB and the upstream HTTP
// calls; no payloads captured): the async path can afford its import, the router does not.
import { Tracer } from '@aws-lambda-powertools/tracer';
import {
  BudgetHolds,
  CachedHealth,
  CachedRegistry,
  CachedTenantBudgets,
  createDocumentClient,
  createInferenceClient,
  DynamoDbBudgetStore,
  DynamoDbHealthStore,
  DynamoDbJobStore,
  DynamoDbModelRegistry,
  DynamoDbTenantBudgets,
  DynamoDbUsageStore,
  OutcomeBuffer,
  UsageWriter,
} from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import { DEFAULT_HEALTH_FRESH_MS, z } from '@switchyard/core';

export const config = parseConfig(
  z.object({
    JOBS_TABLE: z.string().min(1),
    REGISTRY_TABLE: z.string().min(1).optional(),
    HEALTH_TABLE: z.string().min(1).optional(),
    REGISTRY_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(5000),
    HEALTH_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(2000),
    HEALTH_FRESH_MS: z.coerce.number().int().positive().default(DEFAULT_HEALTH_FRESH_MS),
    OUTCOME_FLUSH_MS: z.coerce.number().int().nonnegative().default(1000),
    USAGE_TABLE: z.string().min(1).optional(),
    /** Budgets: plan holds a job's maximum cost, record settles it (absent: jobs hold nothing). */
    BUDGETS_TABLE: z.string().min(1).optional(),
    TENANTS_TABLE: z.string().min(1).optional(),
    TENANT_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(5000),
    /** How long a job's hold lives at most: the execution's timeout, one invoke, and a margin. */
    JOB_BUDGET_HOLD_TTL_MS: z.coerce.number().int().positive().default(3_900_000),
  }),
);

export const tracer = new Tracer({ serviceName: 'switchyard-jobs' });
export const ddb = tracer.captureAWSv3Client(createDocumentClient());
export const jobs = new DynamoDbJobStore({ client: ddb, tableName: config.JOBS_TABLE });

function required(name: string, value: string | undefined): string {
  if (!value) throw new Error(`Invalid configuration: ${name} is required by this step`);
  return value;
}

const healthStore = once(
  () => new DynamoDbHealthStore({ client: ddb, tableName: required('HEALTH_TABLE', config.HEALTH_TABLE) }),
);

/** Built on first use: not every step needs the registry or the health table. */
export const lazy = {
  registry: once(
    () =>
      new CachedRegistry({
        source: new DynamoDbModelRegistry({
          client: ddb,
          tableName: required('REGISTRY_TABLE', config.REGISTRY_TABLE),
        }),
        ttlMs: config.REGISTRY_CACHE_TTL_MS,
        now: Date.now,
      }),
  ),
  healthStore,
  health: once(
    () => new CachedHealth({ source: healthStore(), ttlMs: config.HEALTH_CACHE_TTL_MS, now: Date.now }),
  ),
  /** Passive outcomes of invoke attempts, batched off the job's path (as the router does). */
  outcomes: once(
    () =>
      new OutcomeBuffer({
        sink: (outcomes) => healthStore().recordOutcomes(outcomes),
        flushIntervalMs: config.OUTCOME_FLUSH_MS,
      }),
  ),
  inference: once(createInferenceClient),
  /** Budget holds of jobs (plan takes, record settles), when the stack has a budgets table. */
  holds: once(() =>
    config.BUDGETS_TABLE
      ? new BudgetHolds({ store: new DynamoDbBudgetStore({ client: ddb, tableName: config.BUDGETS_TABLE }) })
      : undefined,
  ),
  /** The tenant record's budget attributes, allow-list and classification (cached like the router's). */
  tenants: once(
    () =>
      new CachedTenantBudgets({
        source: new DynamoDbTenantBudgets({
          client: ddb,
          tableName: required('TENANTS_TABLE', config.TENANTS_TABLE),
        }),
        ttlMs: config.TENANT_CACHE_TTL_MS,
        now: Date.now,
      }),
  ),
  /** Usage records of jobs (invoke: served; record: failed). */
  usage: once(
    () =>
      new UsageWriter({
        store: new DynamoDbUsageStore({
          client: ddb,
          tableName: required('USAGE_TABLE', config.USAGE_TABLE),
        }),
      }),
  ),
};

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}
