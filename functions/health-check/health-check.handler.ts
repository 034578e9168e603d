// Scheduled health check (EventBridge, every minute): PROBE_ROUNDS probe rounds PROBE_INTERVAL_MS
// apart inside one invocation (default 4 x 15 s), each probing every registered endpoint
// (SageMaker: DescribeEndpoint and a tiny invocation; OpenAI-compatible: its models/health route)
// with a timeout, and writing status, latency, error rate and circuit to the health table; then
// it deletes router in-flight reports left behind by stopped containers.
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createDocumentClient,
  createSageMakerClient,
  createSageMakerRuntimeClient,
  DynamoDbHealthStore,
  DynamoDbModelRegistry,
  EmfMetrics,
  HttpEndpointProber,
  ProberByKind,
  SageMakerEndpointProber,
} from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import { DIMENSION, METRIC_SERVICE, z } from '@switchyard/core';
import type { Context } from 'aws-lambda';
import { type ProbeRoundsSummary, runProbeRounds } from './health-check.service.ts';

const config = parseConfig(
  z.object({
    REGISTRY_TABLE: z.string().min(1),
    HEALTH_TABLE: z.string().min(1),
    PROBE_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
    PROBE_CONCURRENCY: z.coerce.number().int().positive().default(8),
    PROBE_ROUNDS: z.coerce.number().int().positive().max(60).default(4),
    PROBE_INTERVAL_MS: z.coerce.number().int().positive().default(15_000),
  }),
);

const logger = new Logger({ serviceName: 'switchyard-health-check' });
const metrics = new EmfMetrics({ serviceName: METRIC_SERVICE.health });
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

export const handler = async (_event: unknown, context?: Context): Promise<ProbeRoundsSummary> => {
  const remaining = context?.getRemainingTimeInMillis() ?? config.PROBE_ROUNDS * config.PROBE_INTERVAL_MS;
  // A round may take a probe timeout or two; never start one that could outlive the invocation.
  const stopBy = Date.now() + remaining - 2 * config.PROBE_TIMEOUT_MS - 1000;
  const summary = await runProbeRounds(
    {
      registry,
      health,
      prober,
      now: Date.now,
      timeoutMs: config.PROBE_TIMEOUT_MS,
      concurrency: config.PROBE_CONCURRENCY,
      onAssessment: (endpoint, a) => {
        if (a.transition) {
          logger.warn('circuit changed', {
            endpoint: endpoint.id,
            from: a.transition.from,
            to: a.transition.to,
            reason: a.circuit_reason,
          });
        }
      },
    },
    { rounds: config.PROBE_ROUNDS, intervalMs: config.PROBE_INTERVAL_MS, stopBy, sleep: (ms) => sleep(ms) },
  );
  // Router containers frozen or stopped with requests counted leave in-flight reports behind
  // (ignored once stale): delete the ones older than five minutes.
  const pruned = await health.pruneInflightReports(5 * 60_000).catch((err: unknown) => {
    logger.warn('could not prune in-flight reports', { error: String(err) });
    return 0;
  });
  logger.info('health check done', { ...summary, inflight_reports_pruned: pruned });
  metrics.add('endpointsDown', {}, summary.down);
  for (const endpoint of summary.opened) metrics.add('circuitOpens', { [DIMENSION.endpoint]: endpoint });
  metrics.flush();
  return summary;
};
