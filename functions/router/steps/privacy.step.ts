// Router step "privacy" (issue 12), right before the decision: scans the caller's text of the
// call (chat messages, completion prompts, embeddings inputs, invocation payloads) for personal
// data and applies the strictest of the policy's `pii.action` and the tenant's `pii_action`
// (core pii/privacy.ts): classify (the default) raises the request's data classification, so the
// decision only keeps models allowed for it; redact sends placeholders upstream and restores the
// answer (buffered here, streamed through restoreStream); refuse answers 400. The tenant's
// setting comes with its budgets (one cached read of the tenant record, steps 1 and 3). Medical
// words of the step's own lexicon, or a `medical` domain that the understand step (just before
// this one) found, make personal data PHI. Types and counts go to the explanation and the
// `x-switchyard-pii` header; values never leave the vault.
import {
  applyPrivacy,
  type CompiledRegistry,
  describeCounts,
  type InferenceCall,
  type PiiAction,
  type PrivacyNote,
  type PrivacyOutcome,
  policyPiiAction,
  type RouteRequest,
  restoreStream,
  restoreValue,
  type StreamEvent,
  scanCall,
} from '@switchyard/core';

export function privacyStep(
  request: RouteRequest,
  call: InferenceCall,
  registry: CompiledRegistry,
  tenantAction: PiiAction | undefined,
): PrivacyOutcome {
  const scan = scanCall(call);
  if (scan.total === 0 && !scan.truncated) return { request, call };
  const medical = scan.medical || request.features?.domain === 'medical';
  return applyPrivacy(
    request,
    call,
    { policy: policyPiiAction(registry, request), tenant: tenantAction },
    { ...scan, medical },
  );
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
