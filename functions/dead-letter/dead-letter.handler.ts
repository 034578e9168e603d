// Dead-letter consumer: fed by the job queues' shared dead-letter queue; marks each job whose
// message landed there `dead-lettered` with the reason, once, and calls its webhook (signed, best effort).
import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient, DynamoDbJobStore, EmfMetrics } from '@switchyard/adapters';
import { createWebhookNotifier, parseConfig, WEBHOOK_ENV } from '@switchyard/adapters/lambda';
import { METRIC_SERVICE, z } from '@switchyard/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleDeadLetters } from './dead-letter.service.ts';

const config = parseConfig(
  z.object({
    JOBS_TABLE: z.string().min(1),
    JOB_MAX_RECEIVE_COUNT: z.coerce.number().int().positive(),
  }),
);
const logger = new Logger({ serviceName: 'switchyard-dead-letter' });
const ddb = createDocumentClient();
const jobs = new DynamoDbJobStore({ client: ddb, tableName: config.JOBS_TABLE });
const webhooks = createWebhookNotifier(parseConfig(WEBHOOK_ENV), ddb);
const metrics = new EmfMetrics({ serviceName: METRIC_SERVICE.jobs });

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const result = await handleDeadLetters(
    {
      jobs,
      webhooks,
      logger,
      maxReceiveCount: config.JOB_MAX_RECEIVE_COUNT,
    },
    event,
  );
  metrics.add('jobsDeadLettered', {}, event.Records.length - result.batchItemFailures.length);
  metrics.flush();
  return result;
};
