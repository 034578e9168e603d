// Async worker: takes job messages from the SQS job queues and starts one workflow execution
// per job (named by the job id, so a redelivered message never starts a second one). A message
// is acknowledged only after its execution has durably started; failures are reported per item.
import { Logger } from '@aws-lambda-powertools/logger';
import { createSfnClient, StepFunctionsWorkflowStarter } from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { startJobs } from './worker.service.ts';

const config = parseConfig(z.object({ JOB_WORKFLOW_ARN: z.string().min(1) }));
const logger = new Logger({ serviceName: 'switchyard-worker' });
const starter = new StepFunctionsWorkflowStarter({
  client: createSfnClient(),
  stateMachineArn: config.JOB_WORKFLOW_ARN,
});

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => startJobs({ starter, logger }, event);
