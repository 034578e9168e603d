// Job workflow step `NotifyWebhook`: the job's completion webhook, signed with its tenant's
// secret. A function of its own: the only job step that may read webhook secrets or call out.
import { createWebhookNotifier, parseConfig, WEBHOOK_ENV } from '@switchyard/adapters/lambda';
import { notifyJob, type StepInput } from './job-steps.service.ts';
import { ddb, jobs } from './job-steps.wiring.ts';

const webhooks = createWebhookNotifier(parseConfig(WEBHOOK_ENV), ddb);

export const handler = (input: StepInput): Promise<{ status: string }> =>
  notifyJob({ jobs, webhooks }, input);
