// WebhookNotifier that signs: looks up the tenant's webhook secret, serialises the payload once,
// signs exactly those bytes (webhook.signature.ts) and POSTs them through the SSRF-safe client
// (webhook.http.ts). A tenant without a secret gets no webhook: an unsigned one could not be
// told from a forgery, so the delivery fails and says why.
import type { TenantStore, WebhookDelivery, WebhookNotifier } from '@switchyard/core';
import { WebhookError, type WebhookHttpClient } from './webhook.http.ts';
import { WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, webhookSignature } from './webhook.signature.ts';

/** The header that names the job (kept from before signatures; receivers may route on it). */
export const WEBHOOK_JOB_HEADER = 'x-switchyard-job';

export interface SignedWebhookNotifierOptions {
  secrets: Pick<TenantStore, 'webhookSecret'>;
  http: Pick<WebhookHttpClient, 'post'>;
  now: () => number;
}

export class SignedWebhookNotifier implements WebhookNotifier {
  constructor(private readonly options: SignedWebhookNotifierOptions) {}

  async notify(delivery: WebhookDelivery): Promise<void> {
    const secret = await this.options.secrets.webhookSecret(delivery.tenant);
    if (!secret) {
      throw new WebhookError(
        `tenant ${delivery.tenant} has no webhook secret, and webhooks are only sent signed ` +
          `(npm run keys -- create --tenant ${delivery.tenant} makes one)`,
      );
    }
    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(this.options.now() / 1000);
    await this.options.http.post(delivery.url, body, {
      [WEBHOOK_JOB_HEADER]: delivery.job_id,
      [WEBHOOK_ID_HEADER]: delivery.id,
      [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(secret, timestamp, body),
    });
  }
}
