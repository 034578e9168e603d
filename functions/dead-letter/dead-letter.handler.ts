// Dead-letter consumer: fed by the job queues' shared dead-letter queue; marks each job whose
// message landed there `dead-lettered` with the reason, once, and calls its webhook (best effort).
import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient, DynamoDbJobStore, HttpWebhookNotifier } from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import { z } from '@switchyard/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleDeadLetters } from './dead-letter.service.ts';

const config = parseConfig(
  z.object({
    JOBS_TABLE: z.string().min(1),
    JOB_MAX_RECEIVE_COUNT: z.coerce.number().int().positive(),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  }),
);
const logger = new Logger({ serviceName: 'switchyard-dead-letter' });
const jobs = new DynamoDbJobStore({ client: createDocumentClient(), tableName: config.JOBS_TABLE });
const webhook = new HttpWebhookNotifier({ timeoutMs: config.WEBHOOK_TIMEOUT_MS });

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> =>
  handleDeadLetters(
    {
      jobs,
      notify: (url, payload, headers) => webhook.notify(url, payload, headers),
      logger,
      maxReceiveCount: config.JOB_MAX_RECEIVE_COUNT,
    },
    event,
  );
