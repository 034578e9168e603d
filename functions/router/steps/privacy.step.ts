// Router step "privacy" (issue 12), right before the decision: scans the caller's text of the
// call (chat messages, completion prompts, embeddings inputs, invocation payloads) for personal
// data and applies the strictest of the policy's `pii.action` and the tenant's `pii_action`
// (core pii/privacy.ts): classify (the default) raises the request's data classification, so the
// decision only keeps models allowed for it; redact sends placeholders upstream and restores the
// answer (buffered here, streamed through restoreStream); refuse answers 400. The tenant's
// setting is read only when something was found. Types and counts go to the explanation and the
// `x-switchyard-pii` header; values never leave the vault.
import {
  applyPrivacy,
  type CompiledRegistry,
  describeCounts,
  type InferenceCall,
  type PrivacyNote,
  type PrivacyOutcome,
  policyPiiAction,
  type RouteRequest,
  restoreStream,
  restoreValue,
  type StreamEvent,
  scanCall,
  type TenantPiiSource,
} from '@switchyard/core';

export async function privacyStep(
  request: RouteRequest,
  call: InferenceCall,
  registry: CompiledRegistry,
  tenants: TenantPiiSource | undefined,
): Promise<PrivacyOutcome> {
  const scan = scanCall(call);
  if (scan.total === 0 && !scan.truncated) return { request, call };
  const tenant = tenants ? await tenants.piiAction(request.tenant.id) : undefined;
  return applyPrivacy(request, call, { policy: policyPiiAction(registry, request), tenant }, scan);
}

/** The answer body with the caller's values back in place of the placeholders. */
export function restoredBody(privacy: PrivacyOutcome, body: unknown): unknown {
  return privacy.vault ? restoreValue(body, privacy.vault) : body;
}

/** The stream events with the caller's values back (undefined when nothing was redacted). */
export function streamRestorer(
  privacy: PrivacyOutcome,
): ((events: AsyncIterable<StreamEvent>) => AsyncIterable<StreamEvent>) | undefined {
  const vault = privacy.vault;
  return vault ? (events) => restoreStream(events, vault) : undefined;
}

/** `x-switchyard-pii`: the action and what was found, e.g. `redact; 1 email, 1 payment_card`. */
export function privacyHeader(note: PrivacyNote | undefined): Record<string, string> {
  if (!note) return {};
  const found = describeCounts(note.detected) || 'unscanned content';
  const classified = note.classification ? `; classification ${note.classification}` : '';
  return { 'x-switchyard-pii': `${note.action}; ${found}${classified}` };
}
