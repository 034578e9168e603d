// The dead-letter consumer over ports. A job message lands in the dead-letter queue after the
// priority queue's maxReceiveCount failed deliveries: its job never got an execution. The job is
// moved to `dead-lettered` with the reason, once (a conditional write from `queued` only: a job
// whose execution did start is left to that execution), and its webhook is called, best effort.
// Every message is acknowledged, whatever it holds: the dead-letter queue has no queue behind it,
// so an unparseable or orphaned message is logged and dropped instead of looping forever.
import type { Logger } from '@aws-lambda-powertools/logger';
import { jobWebhook } from '@switchyard/adapters';
import type { Job, JobStore, WebhookNotifier } from '@switchyard/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

export interface DeadLetterDeps {
  jobs: Pick<JobStore, 'get' | 'finish'>;
  webhooks: WebhookNotifier;
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
  /** The job queues' maxReceiveCount, for the reason. */
  maxReceiveCount: number;
}

export const DEAD_LETTERED_CODE = 'dead_lettered';

export async function handleDeadLetters(deps: DeadLetterDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        await deadLetter(deps, record.body, record.messageId);
      } catch (err) {
        // Only store errors get here (the job table unreachable): retry the message.
        deps.logger.warn('could not record a dead-lettered job', {
          message_id: record.messageId,
          error: String(err),
        });
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
}

async function deadLetter(deps: DeadLetterDeps, body: string, messageId: string): Promise<void> {
  const jobId = jobIdIn(body);
  if (!jobId) {
    deps.logger.error('dropped an unreadable dead-lettered message', {
      message_id: messageId,
      bytes: Buffer.byteLength(body),
    });
    return;
  }
  const job = await deps.jobs.get(jobId);
  if (!job) {
    deps.logger.error('dropped a dead-lettered message for a job that does not exist', {
      message_id: messageId,
      job_id: jobId,
    });
    return;
  }
  const error = {
    code: DEAD_LETTERED_CODE,
    message:
      `The job's queue message failed delivery ${deps.maxReceiveCount} times without its workflow starting ` +
      'and was moved to the dead-letter queue; the job will not run. Submit it again to retry.',
  };
  const moved = await deps.jobs.finish(job.id, { status: 'dead-lettered', error }, 'queued');
  if (!moved) {
    deps.logger.info('dead-lettered message for a job that already started or ended', {
      job_id: job.id,
      status: job.status,
    });
    return;
  }
  if (job.webhook_url) {
    await notifyOnce(deps, { ...job, status: 'dead-lettered', error, webhook_url: job.webhook_url });
  }
}

async function notifyOnce(deps: DeadLetterDeps, job: Job & { webhook_url: string }): Promise<void> {
  try {
    await deps.webhooks.notify(jobWebhook(job));
  } catch (err) {
    deps.logger.warn('dead-letter webhook failed', { job_id: job.id, error: String(err) });
  }
}

function jobIdIn(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { job_id?: unknown } | null)?.job_id;
    return typeof id === 'string' && id !== '' && id.length <= 128 ? id : undefined;
  } catch {
    return undefined;
  }
}
