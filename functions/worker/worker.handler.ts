// Async worker: takes job messages from the SQS job queues (one event source per priority) and
// starts one workflow execution per job, named by the job id. Lower-priority batches first drain
// and wait for the higher queues (see worker.service.ts). A message is acknowledged only after its
// execution has started and the job row says so; failures are reported per item.
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createDocumentClient,
  createSfnClient,
  createSqsClient,
  DynamoDbJobStore,
  SqsJobMessageSource,
  StepFunctionsWorkflowStarter,
} from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import { z } from '@switchyard/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleBatch, priorityByQueueName } from './worker.service.ts';

const config = parseConfig(
  z.object({
    JOBS_TABLE: z.string().min(1),
    JOB_WORKFLOW_ARN: z.string().min(1),
    JOB_QUEUE_HIGH_URL: z.string().min(1),
    JOB_QUEUE_NORMAL_URL: z.string().min(1),
    JOB_QUEUE_LOW_URL: z.string().min(1),
    JOB_PRIORITY_WAIT_MS: z.coerce.number().int().nonnegative().default(15_000),
    JOB_PRIORITY_POLL_MS: z.coerce.number().int().positive().default(100),
  }),
);
const logger = new Logger({ serviceName: 'switchyard-worker' });
const queueUrls = {
  high: config.JOB_QUEUE_HIGH_URL,
  normal: config.JOB_QUEUE_NORMAL_URL,
  low: config.JOB_QUEUE_LOW_URL,
};
const deps = {
  starter: new StepFunctionsWorkflowStarter({
    client: createSfnClient(),
    stateMachineArn: config.JOB_WORKFLOW_ARN,
  }),
  jobs: new DynamoDbJobStore({ client: createDocumentClient(), tableName: config.JOBS_TABLE }),
  queues: new SqsJobMessageSource({ client: createSqsClient(), queueUrls }),
  priorityOf: priorityByQueueName(queueUrls),
  logger,
  now: Date.now,
  sleep: (ms: number) => sleep(ms),
  priorityWaitMs: config.JOB_PRIORITY_WAIT_MS,
  pollMs: config.JOB_PRIORITY_POLL_MS,
};

export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  handleBatch(deps, event, () => context.getRemainingTimeInMillis());
