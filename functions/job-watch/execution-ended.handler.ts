// Job workflow safety net: EventBridge sends the workflow's FAILED / TIMED_OUT / ABORTED
// execution status changes here; the job, if still not final, is marked failed with the reason.
// A thrown error makes EventBridge retry the event.
import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient, DynamoDbJobStore } from '@switchyard/adapters';
import { createWebhookNotifier, parseConfig, WEBHOOK_ENV } from '@switchyard/adapters/lambda';
import { z } from '@switchyard/core';
import { type ExecutionStatusChange, handleExecutionEnded } from './execution-ended.service.ts';

const config = parseConfig(z.object({ JOBS_TABLE: z.string().min(1) }));
const logger = new Logger({ serviceName: 'switchyard-job-watch' });
const ddb = createDocumentClient();
const jobs = new DynamoDbJobStore({ client: ddb, tableName: config.JOBS_TABLE });
const webhooks = createWebhookNotifier(parseConfig(WEBHOOK_ENV), ddb);

export const handler = async (event: ExecutionStatusChange): Promise<{ changed: boolean }> => ({
  changed: await handleExecutionEnded({ jobs, webhooks, logger }, event),
});
