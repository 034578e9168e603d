// Job workflow steps `RecordSuccess`, `RecordFailure` and `NotifyWebhook`.
import { type RecordInput, recordJob } from './job-steps.service.ts';
import { config, jobs } from './job-steps.wiring.ts';

export const handler = (input: RecordInput): Promise<{ status: string }> =>
  recordJob({ jobs, fetch, webhookTimeoutMs: config.WEBHOOK_TIMEOUT_MS }, input);
