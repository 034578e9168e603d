// The router function built from its ports: `createRouterHandler(deps)` lays the router's
// per-container machinery (caches, outcome and circuit buffers, in-flight tracking and reports,
// budget leases, the usage writer, local circuits, metrics) over the stores and the inference
// client it is given, and returns the streamified Lambda handler. No environment and no AWS SDK
// here: router.handler.ts wires it from the environment with the DynamoDB adapters; the overhead
// bench and tests wire it with in-memory stores.
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { requireCaller, streamingHttpHandler } from '@switchyard/adapters/lambda';
import {
  BudgetLeases,
  CachedHealth,
  CachedLearnedState,
  CachedRegistry,
  CachedTenantBudgets,
  type EmfMetrics,
  InflightReporter,
  OutcomeBuffer,
  UsageWriter,
} from '@switchyard/adapters/router';
import type {
  BudgetStore,
  DecisionLog,
  HealthStore,
  InferenceClient,
  LearnedState,
  ModelRegistry,
  RouterCircuitChange,
  TenantBudgetSource,
  UsageStore,
} from '@switchyard/core';
import { NotFoundError } from '@switchyard/core';
import { CircuitAwareClient } from './circuit-client.ts';
import { InflightTrackingClient } from './inflight-client.ts';
import { InflightTracker } from './inflight-tracker.ts';
import { LocalCircuits } from './local-circuits.ts';
import { RouterMetrics } from './router.metrics.ts';
import { RouterService } from './router.service.ts';

/** The stores the router reads and writes (DynamoDB in the function, in memory in the bench). */
export interface RouterStores {
  registry: ModelRegistry;
  health: Pick<HealthStore, 'snapshot' | 'recordOutcomes' | 'reportInflight'> & {
    /** This container's breaker changes, for /admin/health. */
    publishRouterCircuits(container: string, changes: readonly RouterCircuitChange[]): Promise<void>;
  };
  budgets: BudgetStore;
  usage: UsageStore;
  tenants: TenantBudgetSource;
  /** The decision log and the refit's state (learned routing); absent, no decision is recorded. */
  decisions?: { log: DecisionLog; learned: { get(): Promise<LearnedState | undefined> } };
}

/** The router's tunables (router.handler.ts reads them from the environment, with defaults). */
export interface RouterSettings {
  REGISTRY_CACHE_TTL_MS: number;
  HEALTH_CACHE_TTL_MS: number;
  HEALTH_FRESH_MS: number;
  MAX_BODY_BYTES: number;
  OUTCOME_FLUSH_MS: number;
  INFLIGHT_FRESH_MS: number;
  TENANT_CACHE_TTL_MS: number;
  BUDGET_LEASE_TTL_MS: number;
}

export interface RouterHandlerDeps {
  stores: RouterStores;
  /** The upstream client (by endpoint kind); the factory wraps it with in-flight tracking and circuits. */
  inference: InferenceClient;
  settings: RouterSettings;
  logger: Logger;
  emf: EmfMetrics;
  /** @default a random UUID */
  containerId?: string;
  /** @default Date.now */
  now?: () => number;
  /** @default Math.random */
  random?: () => number;
}

export interface RouterHandler {
  handler: ReturnType<typeof streamingHttpHandler>;
  /** Stops the lease renewals and the usage retries (a killed container, the end of a bench). */
  stop(): void;
}

export function createRouterHandler(deps: RouterHandlerDeps): RouterHandler {
  const { stores, settings, logger } = deps;
  const now = deps.now ?? Date.now;
  const containerId = deps.containerId ?? randomUUID();
  const metrics = new RouterMetrics({ emf: deps.emf, now, inflight: () => inflight.counts() });
  const outcomeBuffer = new OutcomeBuffer({
    sink: (outcomes) => stores.health.recordOutcomes(outcomes),
    flushIntervalMs: settings.OUTCOME_FLUSH_MS,
    onError: (err) => logger.warn('could not record outcomes', { error: String(err) }),
  });

  // This container's breaker changes, published off the request path for /admin/health.
  const circuitChanges = new OutcomeBuffer<RouterCircuitChange>({
    sink: (changes) => stores.health.publishRouterCircuits(containerId, changes),
    flushIntervalMs: settings.OUTCOME_FLUSH_MS,
    onError: (err) => logger.warn('could not publish circuit changes', { error: String(err) }),
  });

  // This container's requests in flight, shared through the health table on the outcome cadence.
  const inflight = new InflightTracker(containerId, () => inflightReporter.changed());
  const inflightReporter = new InflightReporter({
    router: inflight.router,
    source: inflight,
    sink: (report) => stores.health.reportInflight(report),
    intervalMs: settings.OUTCOME_FLUSH_MS,
    heartbeatMs: Math.floor(settings.INFLIGHT_FRESH_MS * 0.4),
    onError: (err) => logger.warn('could not report requests in flight', { error: String(err) }),
  });

  // Budgets and metering (steps/): this container's budget leases, returned when idle; usage
  // records written per request, retried, backlogged when the table refuses them.
  const budgetLeases = new BudgetLeases({
    store: stores.budgets,
    holder: containerId,
    policy: {
      ttlMs: settings.BUDGET_LEASE_TTL_MS,
      renewBeforeMs: Math.floor(settings.BUDGET_LEASE_TTL_MS / 2),
      drainMs: Math.floor(settings.BUDGET_LEASE_TTL_MS / 6),
    },
    onError: (err) => logger.warn('budget lease write failed', { error: String(err) }),
  });
  const usageWriter = new UsageWriter({
    store: stores.usage,
    onError: (err, record) =>
      logger.error('usage record not written yet', { error: String(err), request_id: record.request_id }),
  });
  const tenantBudgets = new CachedTenantBudgets({
    source: stores.tenants,
    ttlMs: settings.TENANT_CACHE_TTL_MS,
    now,
  });

  const circuits = new LocalCircuits({
    onChange: (change) => {
      metrics.circuitChange(change);
      circuitChanges.add([change]);
    },
  });
  const decisions = stores.decisions;
  const service = new RouterService({
    registry: new CachedRegistry({ source: stores.registry, ttlMs: settings.REGISTRY_CACHE_TTL_MS, now }),
    health: new CachedHealth({ source: stores.health, ttlMs: settings.HEALTH_CACHE_TTL_MS, now }),
    // Attempts the local circuit refuses never reach the tracker: they are not in flight anywhere.
    inference: new CircuitAwareClient(new InflightTrackingClient(deps.inference, inflight), circuits, now),
    circuits,
    inflight,
    recordOutcomes: async (outcomes) => {
      metrics.outcomes(outcomes);
      outcomeBuffer.add(outcomes);
    },
    now,
    random: deps.random ?? Math.random,
    healthFreshMs: settings.HEALTH_FRESH_MS,
    money: { budgets: tenantBudgets, leases: budgetLeases, usage: usageWriter },
    ...(decisions
      ? {
          decisions: {
            log: decisions.log,
            onError: (error: unknown) =>
              logger.warn('decision record not written', {
                error: error instanceof Error ? error.name : 'unknown',
              }),
          },
          // The refit's state, read with the registry's cache TTL.
          learned: new CachedLearnedState({
            source: decisions.learned,
            ttlMs: settings.REGISTRY_CACHE_TTL_MS,
            now,
          }),
        }
      : {}),
  });

  const handler = streamingHttpHandler(
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
    { logger, maxBodyBytes: settings.MAX_BODY_BYTES },
  );
  return {
    handler,
    stop: () => {
      budgetLeases.stop();
      usageWriter.stop();
    },
  };
}
