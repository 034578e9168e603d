// What personal data in a request does (registry policy `pii.action`, tenant `pii_action`):
// `classify` raises the request's data classification so only models allowed for it qualify
// (the secure default), `redact` replaces each value with a typed placeholder upstream and
// restores it in the answer, `refuse` answers 400. Strictness grows in that order; the strictest
// of the policy's and the tenant's wins, so a tenant can require redaction for every request.
import * as z from 'zod';

export const PII_ACTIONS = ['classify', 'redact', 'refuse'] as const;
export const PiiActionSchema = z.lazy(() => z.enum(PII_ACTIONS));
export type PiiAction = z.infer<typeof PiiActionSchema>;

/** A policy's `pii` option. */
export const PiiPolicySchema = z.lazy(() => z.strictObject({ action: PiiActionSchema }));
export type PiiPolicy = z.infer<typeof PiiPolicySchema>;

export type PiiActionSource = 'default' | 'policy' | 'tenant';

/** The strictest of the policy's and the tenant's actions (`classify` when neither says). */
export function effectivePiiAction(
  policy: PiiAction | undefined,
  tenant: PiiAction | undefined,
): { action: PiiAction; source: PiiActionSource } {
  const rank = (a: PiiAction | undefined) => (a === undefined ? -1 : PII_ACTIONS.indexOf(a));
  if (policy === undefined && tenant === undefined) return { action: 'classify', source: 'default' };
  return rank(tenant) > rank(policy)
    ? { action: tenant as PiiAction, source: 'tenant' }
    : { action: policy as PiiAction, source: 'policy' };
}
