// Router function: the synchronous request path behind API Gateway. POST /v1/chat/completions,
// POST /v1/completions, GET /v1/models, POST /v1/route (dry run) and POST /v1/invocations. Thin:
// wiring and dispatch; the work is in router.service.ts and the core. Streamified (Lambda
// response streaming behind a STREAM-mode integration): `stream: true` answers are SSE written
// as they come; every other answer goes out whole through the same stream.
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CachedHealth,
  CachedRegistry,
  createDocumentClient,
  createInferenceClient,
  DEFAULT_INFLIGHT_FRESH_MS,
  DynamoDbHealthStore,
  DynamoDbModelRegistry,
  InflightReporter,
  OutcomeBuffer,
} from '@switchyard/adapters';
import { parseConfig, requireCaller, streamingHttpHandler } from '@switchyard/adapters/lambda';
import type { RouterCircuitChange } from '@switchyard/core';
import { DEFAULT_HEALTH_FRESH_MS, MAX_BODY_BYTES, NotFoundError, z } from '@switchyard/core';
import { CircuitAwareClient } from './circuit-client.ts';
import { InflightTrackingClient } from './inflight-client.ts';
import { InflightTracker } from './inflight-tracker.ts';
import { LocalCircuits } from './local-circuits.ts';
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
  }),
);

const logger = new Logger({ serviceName: 'switchyard-router' });
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

const circuits = new LocalCircuits({ onChange: (change) => circuitChanges.add([change]) });
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
  recordOutcomes: async (outcomes) => outcomeBuffer.add(outcomes),
  now: Date.now,
  random: Math.random,
  healthFreshMs: config.HEALTH_FRESH_MS,
});

export const handler = streamingHttpHandler(
  async (request) => {
    const caller = requireCaller(request);
    switch (`${request.method} ${request.resource}`) {
      case 'POST /v1/chat/completions': {
        const { body, headers, stream } = await service.chat(request.body, request.headers, caller);
        return { status: 200, body, headers, ...(stream ? { stream } : {}) };
      }
      case 'POST /v1/completions': {
        const { body, headers, stream } = await service.completions(request.body, request.headers, caller);
        return { status: 200, body, headers, ...(stream ? { stream } : {}) };
      }
      case 'POST /v1/invocations': {
        const { body, headers } = await service.invoke(request.body, request.headers, caller);
        return { status: 200, body, headers };
      }
      case 'POST /v1/route':
        return { status: 200, body: await service.dryRun(request.body, request.headers, caller) };
      case 'GET /v1/models':
        return { status: 200, body: await service.models(caller) };
      default:
        throw new NotFoundError(`No route for ${request.method} ${request.path}.`);
    }
  },
  { logger, maxBodyBytes: config.MAX_BODY_BYTES },
);
