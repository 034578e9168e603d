// The public shape of a job: what `GET /v1/jobs/{id}` answers and what a completion webhook
// receives. Times in Unix seconds (as OpenAI's objects), the result shaped like the synchronous
// API's answer (a chat.completion, or an `invocation` object), and every attempt with its
// endpoint, outcome and duration. The tenant, stored request and plan stay private.
import type { Job, JobPriority, JobStatus, WebhookDelivery } from '@switchyard/core';

export interface JobAttemptView {
  endpoint: string;
  /** `id@version` of the model the endpoint serves. */
  model: string;
  outcome: string;
  duration_ms: number;
  status?: number;
  error?: string;
}

export interface JobView {
  id: string;
  object: 'job';
  status: JobStatus;
  priority: JobPriority;
  /** The model (or alias) the request named. */
  model: string;
  created_at: number;
  updated_at: number;
  started_at?: number;
  attempts: JobAttemptView[];
  /** When succeeded: the chat.completion or invocation answer. */
  result?: unknown;
  /** When failed or dead-lettered: why. */
  error?: { message: string; code: string };
  webhook_url?: string;
}

/** What the invoke step stores as a job's result. */
interface StoredResult {
  body: unknown;
  endpoint?: string;
  model?: string;
  version?: string;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

export function jobView(job: Job): JobView {
  const body = (job.request.body ?? {}) as { model?: unknown; task?: unknown };
  const view: JobView = {
    id: job.id,
    object: 'job',
    status: job.status,
    priority: job.priority,
    model: typeof body.model === 'string' ? body.model : 'auto',
    created_at: seconds(job.created_at),
    updated_at: seconds(job.updated_at),
    attempts: (job.attempts ?? []).map((a) => ({
      endpoint: a.endpoint,
      model: `${a.model}@${a.version}`,
      outcome: a.outcome,
      duration_ms: a.duration_ms,
      ...(a.status !== undefined ? { status: a.status } : {}),
      ...(a.error !== undefined ? { error: a.error } : {}),
    })),
  };
  if (job.started_at !== undefined) view.started_at = seconds(job.started_at);
  if (job.status === 'succeeded' && job.result !== undefined) view.result = resultView(job, body.task);
  if (job.error) view.error = job.error;
  if (job.webhook_url) view.webhook_url = job.webhook_url;
  return view;
}

function resultView(job: Job, task: unknown): unknown {
  const stored = job.result as StoredResult | null;
  if (!stored || typeof stored !== 'object' || !('body' in stored)) return job.result;
  if (job.request.kind === 'chat') {
    const answer = stored.body;
    return answer && typeof answer === 'object' && stored.model
      ? { ...(answer as Record<string, unknown>), model: stored.model }
      : answer;
  }
  return { object: 'invocation', model: stored.model, task, output: stored.body };
}

/**
 * The completion webhook of `job` (which must have a webhook_url), carrying its public view. Its
 * id names the job and the state it reports: a job reaches a final state once, so retries of the
 * delivery share the id and nothing else does.
 */
export function jobWebhook(job: Job & { webhook_url: string }): WebhookDelivery {
  return {
    url: job.webhook_url,
    tenant: job.tenant,
    job_id: job.id,
    id: `${job.id}.${job.status}`,
    payload: jobView(job),
  };
}
