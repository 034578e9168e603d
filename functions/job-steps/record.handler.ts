// Job workflow steps `RecordSuccess`, `RecordFailure` and `NotifyWebhook`.
import { HttpWebhookNotifier } from '@switchyard/adapters';
import { type RecordInput, recordJob } from './job-steps.service.ts';
import { config, jobs } from './job-steps.wiring.ts';

const webhook = new HttpWebhookNotifier({ timeoutMs: config.WEBHOOK_TIMEOUT_MS });

export const handler = (input: RecordInput): Promise<{ status: string }> =>
  recordJob({ jobs, notify: (url, payload, headers) => webhook.notify(url, payload, headers) }, input);
