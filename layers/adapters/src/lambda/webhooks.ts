// The signed webhook sender of a function that calls job webhooks (the job workflow's notify
// step, the dead-letter consumer, the execution watch): its environment and its construction.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { DynamoDbTenantStore } from '../tenants.dynamodb.ts';
import { WebhookHttpClient } from '../webhook.http.ts';
import { SignedWebhookNotifier } from '../webhook.signed.ts';

/** The variables a webhook-sending function reads. */
export const WEBHOOK_ENV = z.object({
  TENANTS_TABLE: z.string().min(1),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** Local mode only: webhooks may use http to loopback addresses (127.0.0.1, ::1, localhost). */
  JOB_WEBHOOK_ALLOW_LOCAL: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});

export function createWebhookNotifier(
  config: z.infer<typeof WEBHOOK_ENV>,
  client: DynamoDBDocumentClient,
): SignedWebhookNotifier {
  return new SignedWebhookNotifier({
    secrets: new DynamoDbTenantStore({ client, tableName: config.TENANTS_TABLE }),
    http: new WebhookHttpClient({
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      allowLocal: config.JOB_WEBHOOK_ALLOW_LOCAL,
    }),
    now: Date.now,
  });
}
