// Jobs API function: `POST /v1/jobs` (accept an async job: validate, store, enqueue) and
// `GET /v1/jobs/{id}` (the caller's job: status, attempts, result or why it failed), behind the
// consumer API's authorizer. Thin: wiring and dispatch; the work is in jobs.service.ts.
import { Logger } from '@aws-lambda-powertools/logger';
import {
  BudgetHolds,
  CachedRegistry,
  CachedTenantBudgets,
  createDocumentClient,
  createSqsClient,
  DynamoDbBudgetStore,
  DynamoDbIdempotencyStore,
  DynamoDbJobStore,
  DynamoDbModelRegistry,
  DynamoDbTenantBudgets,
  SqsJobQueue,
} from '@switchyard/adapters';
import { httpHandler, parseConfig, requireCaller } from '@switchyard/adapters/lambda';
import { MAX_JOB_BODY_BYTES, NotFoundError, z } from '@switchyard/core';
import { JobsService } from './jobs.service.ts';

const config = parseConfig(
  z.object({
    JOBS_TABLE: z.string().min(1),
    REGISTRY_TABLE: z.string().min(1),
    JOB_QUEUE_HIGH_URL: z.string().min(1),
    JOB_QUEUE_NORMAL_URL: z.string().min(1),
    JOB_QUEUE_LOW_URL: z.string().min(1),
    REGISTRY_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(5000),
    /** Budgets: a job its budget cannot hold is refused at accept (absent: no check). */
    BUDGETS_TABLE: z.string().min(1).optional(),
    TENANTS_TABLE: z.string().min(1).optional(),
    TENANT_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(5000),
    /** Largest job body: the job item (request, attempts, result) must fit DynamoDB's 400 KB. */
    JOB_MAX_BODY_BYTES: z.coerce.number().int().positive().default(MAX_JOB_BODY_BYTES),
    IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().positive().default(86_400),
    /** Local mode only: webhooks may use http to 127.0.0.1, ::1 or localhost. */
    JOB_WEBHOOK_ALLOW_LOCAL: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
  }),
);

const logger = new Logger({ serviceName: 'switchyard-jobs' });
const ddb = createDocumentClient();

const service = new JobsService({
  jobs: new DynamoDbJobStore({ client: ddb, tableName: config.JOBS_TABLE }),
  idempotency: new DynamoDbIdempotencyStore({
    client: ddb,
    tableName: config.JOBS_TABLE,
    ttlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
  }),
  queue: new SqsJobQueue({
    client: createSqsClient(),
    queueUrls: {
      high: config.JOB_QUEUE_HIGH_URL,
      normal: config.JOB_QUEUE_NORMAL_URL,
      low: config.JOB_QUEUE_LOW_URL,
    },
  }),
  registry: new CachedRegistry({
    source: new DynamoDbModelRegistry({ client: ddb, tableName: config.REGISTRY_TABLE }),
    ttlMs: config.REGISTRY_CACHE_TTL_MS,
    now: Date.now,
  }),
  now: Date.now,
  random: Math.random,
  allowLocalWebhooks: config.JOB_WEBHOOK_ALLOW_LOCAL,
  ...(config.BUDGETS_TABLE && config.TENANTS_TABLE
    ? {
        budget: {
          tenants: new CachedTenantBudgets({
            source: new DynamoDbTenantBudgets({ client: ddb, tableName: config.TENANTS_TABLE }),
            ttlMs: config.TENANT_CACHE_TTL_MS,
            now: Date.now,
          }),
          holds: new BudgetHolds({
            store: new DynamoDbBudgetStore({ client: ddb, tableName: config.BUDGETS_TABLE }),
          }),
        },
      }
    : {}),
});

export const handler = httpHandler(
  async (request) => {
    const caller = requireCaller(request);
    switch (`${request.method} ${request.resource}`) {
      case 'POST /v1/jobs':
        return service.submit(request.body, request.headers, caller);
      case 'GET /v1/jobs/{id}':
        return { status: 200, body: await service.get(request.params.id, caller) };
      default:
        throw new NotFoundError(`No route for ${request.method} ${request.path}.`);
    }
  },
  { logger, maxBodyBytes: config.JOB_MAX_BODY_BYTES },
);
