// Webhook signatures. Every webhook carries `Switchyard-Signature: t=<unix seconds>,v1=<hex>`,
// where v1 is HMAC-SHA256, keyed with the tenant's webhook secret (the whole `whsec_...` string,
// as UTF-8), over `<t>.<raw body>`; and `Switchyard-Webhook-Id`, the same on every retry of one
// delivery. A receiver recomputes v1 over the exact bytes it received, compares in constant
// time, refuses a `t` more than WEBHOOK_TOLERANCE_SECONDS from its clock (replays), and drops ids
// it has already seen within that window (retries it has already processed).
import { createHmac, randomBytes } from 'node:crypto';

export const WEBHOOK_SIGNATURE_HEADER = 'switchyard-signature';
export const WEBHOOK_ID_HEADER = 'switchyard-webhook-id';

/** How far a signature's timestamp may be from the receiver's clock (the README's advice). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The `Switchyard-Signature` value for `body` sent at `timestampSeconds`. */
export function webhookSignature(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/** A new webhook signing secret: `whsec_` + 32 random bytes (256 bits) in base64url. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
