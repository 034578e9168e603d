// Where a request's personal data can be: the strings of chat messages, completion prompts,
// embeddings inputs and invocation payloads, read by one bounded walk of the JSON (depth,
// strings and characters capped; what lies past a cap counts as unscanned, `truncated`). The
// same walk writes the redacted copy of the request and restores the answer's strings.
import type { InferenceCall } from '../ports.ts';
import { countPii, detectPii } from './detect.ts';
import { hasMedicalSignal } from './medical-signals.ts';
import type { PiiCounts, PiiSpan } from './pii.types.ts';
import { collectPlaceholderLookalikes, PiiVault } from './redaction.ts';

export const PII_SCAN_LIMITS = { depth: 64, strings: 100_000, chars: 4_000_000 } as const;

/** Chat fields that carry no text a person wrote (roles, ids, media). */
const CHAT_SKIPPED = new Set(['role', 'type', 'id', 'tool_call_id', 'image_url', 'input_audio', 'file']);

export interface PiiScan {
  counts: PiiCounts;
  /** Spans found in all. */
  total: number;
  /** Medical words in the same text (personal data there is PHI). */
  medical: boolean;
  /** Part of the request lay past the walk's caps and was not scanned. */
  truncated: boolean;
  /** Spans per distinct string with any (for redaction). */
  readonly spans: ReadonlyMap<string, readonly PiiSpan[]>;
  /** Placeholder-looking tokens of the request's own text (never issued as placeholders). */
  readonly lookalikes: ReadonlySet<string>;
}

/** The part of a call that holds what the caller wrote, and which object keys to pass over. */
function textRoot(call: InferenceCall): { value: unknown; skip?: ReadonlySet<string> } {
  switch (call.kind) {
    case 'chat':
      return { value: call.body.messages, skip: CHAT_SKIPPED };
    case 'completion':
      return { value: call.body.prompt };
    case 'embedding':
      return { value: call.body.input };
    case 'invocation':
      return { value: call.payload };
  }
}

interface Budget {
  strings: number;
  chars: number;
  truncated: boolean;
}

/** Calls `visit` on each string under `value` (object keys in `skip` passed over), within the caps. */
function eachString(
  value: unknown,
  skip: ReadonlySet<string> | undefined,
  visit: (s: string) => void,
  budget: Budget,
  depth = 0,
): void {
  if (typeof value === 'string') {
    if (budget.strings <= 0 || budget.chars < value.length) {
      budget.truncated = true;
      return;
    }
    budget.strings--;
    budget.chars -= value.length;
    visit(value);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth >= PII_SCAN_LIMITS.depth) {
    budget.truncated = true;
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) eachString(v, skip, visit, budget, depth + 1);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (!skip?.has(k)) eachString(v, skip, visit, budget, depth + 1);
  }
}

/** A copy of `value` with each string mapped (object keys in `skip` kept as they are). */
function mapStrings(
  value: unknown,
  skip: ReadonlySet<string> | undefined,
  map: (s: string) => string,
  depth = 0,
): unknown {
  if (typeof value === 'string') return map(value);
  if (typeof value !== 'object' || value === null || depth >= PII_SCAN_LIMITS.depth) return value;
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, skip, map, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = skip?.has(k) ? v : mapStrings(v, skip, map, depth + 1);
  return out;
}

/** Personal data in one call's text. */
export function scanCall(call: InferenceCall): PiiScan {
  const { value, skip } = textRoot(call);
  return scanValue(value, skip);
}

/** Personal data in the strings of any JSON value (an invocation payload, a test's text). */
export function scanValue(value: unknown, skip?: ReadonlySet<string>): PiiScan {
  const counts: PiiCounts = {};
  const spans = new Map<string, PiiSpan[]>();
  const lookalikes = new Set<string>();
  const budget: Budget = { strings: PII_SCAN_LIMITS.strings, chars: PII_SCAN_LIMITS.chars, truncated: false };
  let total = 0;
  const seen = new Set<string>();
  eachString(
    value,
    skip,
    (s) => {
      collectPlaceholderLookalikes(s, lookalikes);
      if (seen.has(s)) {
        const again = spans.get(s);
        if (again) {
          countPii(again, counts);
          total += again.length;
        }
        return;
      }
      seen.add(s);
      const found = detectPii(s);
      if (found.length === 0) return;
      spans.set(s, found);
      countPii(found, counts);
      total += found.length;
    },
    budget,
  );
  // Medical words matter only next to personal data: read for them only then.
  const medical = total > 0 && [...seen].some(hasMedicalSignal);
  return { counts, total, medical, truncated: budget.truncated, spans, lookalikes };
}

/** A redacted copy of `call` and the vault that restores its answer. */
export function redactCall(call: InferenceCall, scan: PiiScan): { call: InferenceCall; vault: PiiVault } {
  const vault = new PiiVault(scan.lookalikes);
  const { value, skip } = textRoot(call);
  const redacted = mapStrings(value, skip, (s) => {
    const spans = scan.spans.get(s);
    return spans ? vault.redact(s, spans) : s;
  });
  switch (call.kind) {
    case 'chat':
      return {
        call: { ...call, body: { ...call.body, messages: redacted as typeof call.body.messages } },
        vault,
      };
    case 'completion':
      return {
        call: { ...call, body: { ...call.body, prompt: redacted as typeof call.body.prompt } },
        vault,
      };
    case 'embedding':
      return { call: { ...call, body: { ...call.body, input: redacted as typeof call.body.input } }, vault };
    case 'invocation':
      return { call: { ...call, payload: redacted }, vault };
  }
}

/** A copy of an answer (any JSON) with the vault's placeholders replaced by their values. */
export function restoreValue(value: unknown, vault: PiiVault): unknown {
  return vault.size === 0 ? value : mapStrings(value, undefined, (s) => vault.restore(s));
}
