// Job workflow safety net: EventBridge sends the workflow's FAILED / TIMED_OUT / ABORTED
// execution status changes here; the job, if still not final, is marked failed with the reason.
// A thrown error makes EventBridge retry the event.
import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient, DynamoDbJobStore, HttpWebhookNotifier } from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import { z } from '@switchyard/core';
import { type ExecutionStatusChange, handleExecutionEnded } from './execution-ended.service.ts';

const config = parseConfig(
  z.object({
    JOBS_TABLE: z.string().min(1),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  }),
);
const logger = new Logger({ serviceName: 'switchyard-job-watch' });
const jobs = new DynamoDbJobStore({ client: createDocumentClient(), tableName: config.JOBS_TABLE });
const webhook = new HttpWebhookNotifier({ timeoutMs: config.WEBHOOK_TIMEOUT_MS });

export const handler = async (event: ExecutionStatusChange): Promise<{ changed: boolean }> => ({
  changed: await handleExecutionEnded(
    { jobs, notify: (url, payload, headers) => webhook.notify(url, payload, headers), logger },
    event,
  ),
});
