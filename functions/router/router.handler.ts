// Router function: the synchronous request path behind API Gateway. POST /v1/chat/completions,
// GET /v1/models, POST /v1/route (dry run) and POST /v1/invocations. Thin: wiring and dispatch;
// the work is in router.service.ts and the core.
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CachedHealth,
  CachedRegistry,
  createDocumentClient,
  createInferenceClient,
  DynamoDbHealthStore,
  DynamoDbModelRegistry,
  OutcomeBuffer,
} from '@switchyard/adapters';
import { httpHandler, parseConfig, requireCaller } from '@switchyard/adapters/lambda';
import { DEFAULT_HEALTH_FRESH_MS, MAX_BODY_BYTES, NotFoundError, z } from '@switchyard/core';
import { CircuitAwareClient } from './circuit-client.ts';
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
  }),
);

const logger = new Logger({ serviceName: 'switchyard-router' });
const ddb = createDocumentClient();
const healthStore = new DynamoDbHealthStore({ client: ddb, tableName: config.HEALTH_TABLE });
const outcomeBuffer = new OutcomeBuffer({
  sink: (outcomes) => healthStore.recordOutcomes(outcomes),
  flushIntervalMs: config.OUTCOME_FLUSH_MS,
  onError: (err) => logger.warn('could not record outcomes', { error: String(err) }),
});

const circuits = new LocalCircuits();
const service = new RouterService({
  registry: new CachedRegistry({
    source: new DynamoDbModelRegistry({ client: ddb, tableName: config.REGISTRY_TABLE }),
    ttlMs: config.REGISTRY_CACHE_TTL_MS,
    now: Date.now,
  }),
  health: new CachedHealth({ source: healthStore, ttlMs: config.HEALTH_CACHE_TTL_MS, now: Date.now }),
  inference: new CircuitAwareClient(createInferenceClient(), circuits, Date.now),
  circuits,
  recordOutcomes: async (outcomes) => outcomeBuffer.add(outcomes),
  now: Date.now,
  random: Math.random,
  healthFreshMs: config.HEALTH_FRESH_MS,
});

export const handler = httpHandler(
  async (request) => {
    const caller = requireCaller(request);
    switch (`${request.method} ${request.resource}`) {
      case 'POST /v1/chat/completions': {
        const { body, headers } = await service.chat(request.body, request.headers, caller);
        return { status: 200, body, headers };
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
