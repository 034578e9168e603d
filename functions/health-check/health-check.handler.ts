// Scheduled health check: probes every registered endpoint (SageMaker: DescribeEndpoint and a
// tiny invocation; OpenAI-compatible: its models/health route) with a timeout, and writes
// status, latency and the time of measurement to the health table.
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createDocumentClient,
  createSageMakerClient,
  createSageMakerRuntimeClient,
  DynamoDbHealthStore,
  DynamoDbModelRegistry,
  HttpEndpointProber,
  ProberByKind,
  SageMakerEndpointProber,
} from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import { z } from 'zod';
import { runHealthChecks } from './health-check.service.ts';

const config = parseConfig(
  z.object({
    REGISTRY_TABLE: z.string().min(1),
    HEALTH_TABLE: z.string().min(1),
    PROBE_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
    PROBE_CONCURRENCY: z.coerce.number().int().positive().default(8),
  }),
);

const logger = new Logger({ serviceName: 'switchyard-health-check' });
const ddb = createDocumentClient();
const registry = new DynamoDbModelRegistry({ client: ddb, tableName: config.REGISTRY_TABLE });
const health = new DynamoDbHealthStore({ client: ddb, tableName: config.HEALTH_TABLE });
const prober = new ProberByKind({
  sagemaker: new SageMakerEndpointProber({
    control: createSageMakerClient(),
    runtime: createSageMakerRuntimeClient(),
  }),
  'openai-http': new HttpEndpointProber({}),
});

export const handler = async (): Promise<{ probed: number; up: number; down: number }> => {
  const summary = await runHealthChecks({
    registry,
    health,
    prober,
    now: Date.now,
    timeoutMs: config.PROBE_TIMEOUT_MS,
    concurrency: config.PROBE_CONCURRENCY,
  });
  logger.info('health check done', summary);
  return summary;
};
