// The job workflow's safety net over ports. An execution normally records the job's final state
// itself; when it ends without doing so (FAILED after its record steps gave up, TIMED_OUT, or
// ABORTED by an operator), Step Functions' status-change event lands here and the job is moved to
// `failed` with the reason, once (a conditional write: a job the workflow already finished keeps
// its state), and its webhook is called, best effort. So no accepted job stays `running` forever.
import type { Logger } from '@aws-lambda-powertools/logger';
import { jobWebhook } from '@switchyard/adapters';
import type { JobStore, WebhookNotifier } from '@switchyard/core';
import { ABNORMAL_EXECUTION_STATUSES } from '@switchyard/core';

/** The part of EventBridge's "Step Functions Execution Status Change" event read here. */
export interface ExecutionStatusChange {
  detail: {
    executionArn: string;
    name: string;
    status: string;
    input?: string | null;
    error?: string | null;
    cause?: string | null;
  };
}

export interface ExecutionEndedDeps {
  jobs: Pick<JobStore, 'get' | 'finish'>;
  webhooks: WebhookNotifier;
  logger: Pick<Logger, 'warn' | 'info'>;
}

export const ABNORMAL_ENDINGS: ReadonlySet<string> = new Set(ABNORMAL_EXECUTION_STATUSES);

/** Fails the job of an execution that ended abnormally; true when this changed the job. */
export async function handleExecutionEnded(
  deps: ExecutionEndedDeps,
  event: ExecutionStatusChange,
): Promise<boolean> {
  const { detail } = event;
  if (!ABNORMAL_ENDINGS.has(detail.status)) return false;
  const jobId = jobIdIn(detail.input) ?? detail.name;
  const job = await deps.jobs.get(jobId);
  if (!job) {
    deps.logger.warn('execution ended for a job that does not exist', { execution: detail.executionArn });
    return false;
  }
  const why = [detail.error, detail.cause]
    .filter((s): s is string => typeof s === 'string' && s !== '')
    .join(': ');
  const error = {
    code: `workflow_${detail.status.toLowerCase()}`,
    message:
      `The job's workflow execution ended ${detail.status} before recording a result` +
      `${why ? ` (${why.slice(0, 500)})` : ''}. Submit it again to retry.`,
  };
  const changed = await deps.jobs.finish(job.id, { status: 'failed', error });
  if (!changed) {
    deps.logger.info('execution ended after its job was final', { job_id: job.id, status: detail.status });
    return false;
  }
  if (job.webhook_url) {
    try {
      await deps.webhooks.notify(
        jobWebhook({ ...job, status: 'failed', error, webhook_url: job.webhook_url }),
      );
    } catch (err) {
      deps.logger.warn('webhook failed', { job_id: job.id, error: String(err) });
    }
  }
  return true;
}

function jobIdIn(input: string | null | undefined): string | undefined {
  if (!input) return undefined;
  try {
    const id = (JSON.parse(input) as { job_id?: unknown } | null)?.job_id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}
