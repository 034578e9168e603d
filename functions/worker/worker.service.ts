// Starts a workflow execution for each job message; returns the partial batch failures.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobMessage, WorkflowStarter } from '@switchyard/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

export interface WorkerDeps {
  starter: WorkflowStarter;
  logger: Pick<Logger, 'warn'>;
}

export async function startJobs(deps: WorkerDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        const message = JSON.parse(record.body) as JobMessage;
        if (typeof message.job_id !== 'string') throw new Error('message has no job_id');
        await deps.starter.start(message.job_id, { job_id: message.job_id, tenant: message.tenant });
      } catch (err) {
        deps.logger.warn('could not start job', { message_id: record.messageId, error: String(err) });
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
}
