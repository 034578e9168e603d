// What personal data does to one request (the router's privacy step runs this before the
// decision): nothing found, nothing changes; otherwise the action (pii-action.ts) of the policy
// the request resolves to and of its tenant. `classify` raises hints.data_classification to
// `pii` (`phi` with medical words), so the hard constraints (route.ts, rule data-classification)
// only keep models allowed for it; `redact` sends placeholders upstream and hands back the vault
// that restores the answer; `refuse` throws the 400. Text past the scan's caps counts as personal
// data. The note says types and counts only.
import type { CompiledRegistry } from '../compile.ts';
import { resolvePolicy } from '../policy-match.ts';
import type { InferenceCall } from '../ports.ts';
import type { DataClassification } from '../registry.schema.ts';
import type { RouteRequest } from '../route.types.ts';
import { strictestClassification } from '../tenants/tenant-policy.ts';
import type { PiiCounts } from './pii.types.ts';
import { effectivePiiAction, type PiiAction, type PiiActionSource } from './pii-action.ts';
import { PersonalDataRefusedError } from './pii-refusal.ts';
import type { PiiVault } from './redaction.ts';
import { type PiiScan, redactCall, scanCall } from './request-text.ts';

/** What the explanation (and the `x-switchyard-pii` header) says: no values, ever. */
export interface PrivacyNote {
  action: PiiAction;
  source: PiiActionSource;
  /** Findings per type. */
  detected: PiiCounts;
  /** The classification the request was routed with, when this raised it. */
  classification?: DataClassification;
  /** Placeholders sent upstream in place of values (redact). */
  redacted?: number;
  /** Part of the request was past the scan's caps (counted as personal data). */
  truncated?: true;
}

export interface PrivacyOutcome {
  request: RouteRequest;
  call: InferenceCall;
  /** Set when values were replaced: restores the answer. */
  vault?: PiiVault;
  /** Set when personal data was found. */
  note?: PrivacyNote;
}

/** The classification a request with personal data is routed with: raised, never lowered. */
export function raiseClassification(
  current: DataClassification | undefined,
  medical: boolean,
): DataClassification {
  return strictestClassification(current, medical ? 'phi' : 'pii') ?? 'pii';
}

/** The policy's `pii.action` for this request (throws, as route() would, for an unknown model). */
export function policyPiiAction(registry: CompiledRegistry, request: RouteRequest): PiiAction | undefined {
  return resolvePolicy(registry, request).compiled.policy.pii?.action;
}

export function applyPrivacy(
  request: RouteRequest,
  call: InferenceCall,
  actions: { policy: PiiAction | undefined; tenant: PiiAction | undefined },
  scan: PiiScan = scanCall(call),
): PrivacyOutcome {
  if (scan.total === 0 && !scan.truncated) return { request, call };
  const { action, source } = effectivePiiAction(actions.policy, actions.tenant);
  const note: PrivacyNote = {
    action,
    source,
    detected: { ...scan.counts },
    ...(scan.truncated ? { truncated: true } : {}),
  };
  if (action === 'refuse') {
    throw new PersonalDataRefusedError(scan.counts, source === 'tenant' ? "tenant's setting" : 'policy');
  }
  const classify = (): RouteRequest => {
    const classification = raiseClassification(request.hints.data_classification, scan.medical);
    note.classification = classification;
    return { ...request, hints: { ...request.hints, data_classification: classification } };
  };
  if (action === 'classify') return { request: classify(), call, note };
  const { call: redacted, vault } = redactCall(call, scan);
  note.redacted = vault.size;
  // What the scan could not reach was not redacted either: it still raises the classification.
  return { request: scan.truncated ? classify() : request, call: redacted, vault, note };
}

/**
 * A durable job's request (its body is a chat or invocation body): as applyPrivacy, but a job's
 * answer is stored and read later, so no vault could restore it: personal data that the policy
 * or the tenant would redact is refused (400) instead.
 */
export function jobPrivacy(
  request: RouteRequest,
  body: { kind: 'chat' | 'invocation'; parsed: unknown },
  registry: CompiledRegistry,
  tenant: PiiAction | undefined,
): RouteRequest {
  const call: InferenceCall =
    body.kind === 'chat'
      ? { kind: 'chat', body: body.parsed as Extract<InferenceCall, { kind: 'chat' }>['body'] }
      : { kind: 'invocation', task: request.task, payload: (body.parsed as { payload: unknown }).payload };
  const scan = scanCall(call);
  if (scan.total === 0 && !scan.truncated) return request;
  const actions = { policy: policyPiiAction(registry, request), tenant };
  const { action, source } = effectivePiiAction(actions.policy, actions.tenant);
  if (action === 'redact') {
    throw new PersonalDataRefusedError(
      scan.counts,
      source === 'tenant' ? "tenant's setting" : 'policy',
      'redacts it, which a job cannot (its answer is stored): remove it, or send the request to the synchronous API.',
    );
  }
  return applyPrivacy(request, call, actions, scan).request;
}
