// Router function: the synchronous request path behind API Gateway. POST /v1/chat/completions,
// POST /v1/completions, POST /v1/embeddings, GET /v1/models, POST /v1/route (dry run) and
// POST /v1/invocations. Thin: wiring and dispatch; the work is in router.service.ts and the core.
// Streamified (Lambda response streaming behind a STREAM-mode integration): `stream: true`
// answers are SSE written as they come; every other answer goes out whole through the same stream.
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { parseConfig, requireCaller, streamingHttpHandler } from '@switchyard/adapters/lambda';
import {
  BudgetLeases,
  CachedHealth,
  CachedLearnedState,
  CachedRegistry,
  CachedTenantBudgets,
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
  InflightReporter,
  OutcomeBuffer,
  UsageWriter,
} from '@switchyard/adapters/router';
import type { RouterCircuitChange } from '@switchyard/core';
import { DEFAULT_HEALTH_FRESH_MS, MAX_BODY_BYTES, METRIC_SERVICE, NotFoundError } from '@switchyard/core';
import * as z from 'zod';
import { CircuitAwareClient } from './circuit-client.ts';
import { InflightTrackingClient } from './inflight-client.ts';
import { InflightTracker } from './inflight-tracker.ts';
import { LocalCircuits } from './local-circuits.ts';
import { RouterMetrics } from './router.metrics.ts';
import { RouterService } from './router.service.ts';

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
const emf = new EmfMetrics({
  serviceName: METRIC_SERVICE.router,
  minFlushIntervalMs: config.METRICS_FLUSH_MS,
});
const metrics = new RouterMetrics({ emf, now: Date.now, inflight: () => inflight.counts() });
const ddb = createDocumentClient();
const healthStore = new DynamoDbHealthStore({
  client: ddb,
  tableName: config.HEALTH_TABLE,
  inflightFreshMs: config.INFLIGHT_FRESH_MS,
});
const outcomeBuffer = new OutcomeBuffer({
  sink: (outcomes) => healthStore.recordOutcomes(outcomes),
  flushIntervalMs: config.OUTCOME_FLUSH_MS,
  onError: (err) => logger.warn('could not record outcomes', { error: String(err) }),
});

// This container's breaker changes, published off the request path for /admin/health.
const containerId = randomUUID();
const circuitChanges = new OutcomeBuffer<RouterCircuitChange>({
  sink: (changes) => healthStore.publishRouterCircuits(containerId, changes),
  flushIntervalMs: config.OUTCOME_FLUSH_MS,
  onError: (err) => logger.warn('could not publish circuit changes', { error: String(err) }),
});

// This container's requests in flight, shared through the health table on the outcome cadence.
const inflight = new InflightTracker(containerId, () => inflightReporter.changed());
const inflightReporter = new InflightReporter({
  router: inflight.router,
  source: inflight,
  sink: (report) => healthStore.reportInflight(report),
  intervalMs: config.OUTCOME_FLUSH_MS,
  heartbeatMs: Math.floor(config.INFLIGHT_FRESH_MS * 0.4),
  onError: (err) => logger.warn('could not report requests in flight', { error: String(err) }),
});

// Budgets and metering (steps/): this container's budget leases, returned when idle; usage
// records written per request, retried, backlogged when the table refuses them.
const budgetLeases = new BudgetLeases({
  store: new DynamoDbBudgetStore({ client: ddb, tableName: config.BUDGETS_TABLE }),
  holder: containerId,
  policy: {
    ttlMs: config.BUDGET_LEASE_TTL_MS,
    renewBeforeMs: Math.floor(config.BUDGET_LEASE_TTL_MS / 2),
    drainMs: Math.floor(config.BUDGET_LEASE_TTL_MS / 6),
  },
  onError: (err) => logger.warn('budget lease write failed', { error: String(err) }),
});
const usageWriter = new UsageWriter({
  store: new DynamoDbUsageStore({ client: ddb, tableName: config.USAGE_TABLE }),
  onError: (err, record) =>
    logger.error('usage record not written yet', { error: String(err), request_id: record.request_id }),
});
const tenantBudgets = new CachedTenantBudgets({
  source: new DynamoDbTenantBudgets({ client: ddb, tableName: config.TENANTS_TABLE }),
  ttlMs: config.TENANT_CACHE_TTL_MS,
  now: Date.now,
});

const circuits = new LocalCircuits({
  onChange: (change) => {
    metrics.circuitChange(change);
    circuitChanges.add([change]);
  },
});
const service = new RouterService({
  registry: new CachedRegistry({
    source: new DynamoDbModelRegistry({ client: ddb, tableName: config.REGISTRY_TABLE }),
    ttlMs: config.REGISTRY_CACHE_TTL_MS,
    now: Date.now,
  }),
  health: new CachedHealth({ source: healthStore, ttlMs: config.HEALTH_CACHE_TTL_MS, now: Date.now }),
  // Attempts the local circuit refuses never reach the tracker: they are not in flight anywhere.
  inference: new CircuitAwareClient(
    new InflightTrackingClient(createInferenceClient(), inflight),
    circuits,
    Date.now,
  ),
  circuits,
  inflight,
  recordOutcomes: async (outcomes) => {
    metrics.outcomes(outcomes);
    outcomeBuffer.add(outcomes);
  },
  now: Date.now,
  random: Math.random,
  healthFreshMs: config.HEALTH_FRESH_MS,
  money: { budgets: tenantBudgets, leases: budgetLeases, usage: usageWriter },
  ...(config.DECISIONS_TABLE
    ? {
        decisions: {
          log: new DynamoDbDecisionLog({ client: ddb, tableName: config.DECISIONS_TABLE }),
          onError: (error: unknown) =>
            logger.warn('decision record not written', {
              error: error instanceof Error ? error.name : 'unknown',
            }),
        },
        // The refit's state, read with the registry's cache TTL.
        learned: new CachedLearnedState({
          source: new DynamoDbLearnedStateStore({ client: ddb, tableName: config.DECISIONS_TABLE }),
          ttlMs: config.REGISTRY_CACHE_TTL_MS,
          now: Date.now,
        }),
      }
    : {}),
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
  budgetLeases.stop();
  usageWriter.stop();
}

export const handler = streamingHttpHandler(
  metrics.around(async (request) => {
    const caller = requireCaller(request);
    switch (`${request.method} ${request.resource}`) {
      case 'POST /v1/chat/completions': {
        const { body, headers, stream } = await service.chat(request.body, request.headers, caller, {
          request_id: request.requestId,
        });
        return { status: 200, body, headers, ...(stream ? { stream } : {}) };
      }
      case 'POST /v1/completions': {
        const { body, headers, stream } = await service.completions(request.body, request.headers, caller, {
          request_id: request.requestId,
        });
        return { status: 200, body, headers, ...(stream ? { stream } : {}) };
      }
      case 'POST /v1/embeddings': {
        const { body, headers } = await service.embeddings(request.body, request.headers, caller, {
          request_id: request.requestId,
        });
        return { status: 200, body, headers };
      }
      case 'POST /v1/invocations': {
        const { body, headers } = await service.invoke(request.body, request.headers, caller, {
          request_id: request.requestId,
        });
        return { status: 200, body, headers };
      }
      case 'POST /v1/route':
        return { status: 200, body: await service.dryRun(request.body, request.headers, caller) };
      case 'GET /v1/models':
        return { status: 200, body: await service.models(caller) };
      default:
        throw new NotFoundError(`No route for ${request.method} ${request.path}.`);
    }
  }),
  { logger, maxBodyBytes: config.MAX_BODY_BYTES },
);
