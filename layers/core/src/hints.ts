// Routing hints from `x-switchyard-*` headers and the `x-switchyard` body object, validated with
// RoutingHintsSchema. Errors are InvalidRequestError whose `param` names the header or body field.
// Merge rule: the body object wins, field by field, over headers (it is the more explicit,
// per-request statement; headers are often set once by a client library or a proxy).
import type * as z from 'zod';
import type { RoutingHints } from './api.schema.ts';
import { HINT_HEADERS, RoutingHintsSchema } from './api.schema.ts';
import { InvalidRequestError } from './errors.ts';

type HintField = keyof RoutingHints;
const HEADER_BY_FIELD = Object.fromEntries(Object.entries(HINT_HEADERS).map(([h, f]) => [f, h])) as Record<
  HintField,
  string
>;
const NUMBER_FIELDS: ReadonlySet<HintField> = new Set(['max_cost_usd', 'max_latency_ms']);
const ENSEMBLE_COMBINES = new Set(['first-success', 'majority-vote', 'best-score']);

/**
 * Reads routing hints from request headers (names in any case; see HINT_HEADERS). Values are
 * strings: numbers for the cost/latency caps, and for `x-switchyard-ensemble` one of
 * `true|false|1|0|yes|no|on|off`, an ensemble size (`3`), a combine mode (`majority-vote`),
 * `size,combine` (`3,best-score`) or a JSON object. Throws InvalidRequestError on a bad value.
 */
export function hintsFromHeaders(headers: Readonly<Record<string, string | undefined>>): RoutingHints {
  const raw: Record<string, unknown> = {};
  let any = false;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const header = name.toLowerCase();
    // Own keys only: a header named `constructor` or `__proto__` is not a hint.
    if (!Object.hasOwn(HINT_HEADERS, header)) continue;
    const field = (HINT_HEADERS as Record<string, HintField>)[header] as HintField;
    const text = value.trim();
    any = true;
    if (NUMBER_FIELDS.has(field)) {
      const n = text === '' ? Number.NaN : Number(text);
      if (!Number.isFinite(n) || n <= 0) throw invalid(header, 'must be a positive number');
      raw[field] = n;
    } else if (field === 'ensemble') {
      raw[field] = parseEnsembleHeader(header, text);
    } else {
      raw[field] = text;
    }
  }
  // No hint header (most requests): nothing to validate.
  if (!any) return raw;
  const parsed = RoutingHintsSchema.safeParse(raw);
  if (!parsed.success) {
    throw fromIssue(parsed.error, (field, rest) => {
      const header = HEADER_BY_FIELD[field as HintField] ?? field;
      return { param: header, prefix: rest ? `${header} (${rest})` : header };
    });
  }
  return parsed.data;
}

/**
 * Merges the body's `x-switchyard` object (validated here) with the header hints: a field set in
 * the body wins over the same field from a header; other header fields are kept.
 */
export function mergeHints(
  body: unknown,
  headers: Readonly<Record<string, string | undefined>> = {},
): RoutingHints {
  const fromHeaders = hintsFromHeaders(headers);
  if (body === undefined || body === null) return fromHeaders;
  const parsed = RoutingHintsSchema.safeParse(body);
  if (!parsed.success) {
    throw fromIssue(parsed.error, (field, rest) => {
      const param = field === '' ? 'x-switchyard' : `x-switchyard.${field}${rest ? `.${rest}` : ''}`;
      return { param, prefix: param };
    });
  }
  const merged: RoutingHints = { ...fromHeaders };
  for (const [k, v] of Object.entries(parsed.data)) {
    if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  }
  return merged;
}

function parseEnsembleHeader(header: string, text: string): unknown {
  const lower = text.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lower)) return true;
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  if (lower.startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw invalid(header, 'must be a JSON object, true/false, a size or a combine mode');
    }
  }
  const out: { size?: number; combine?: string } = {};
  for (const piece of lower.split(',')) {
    const p = piece.trim();
    if (/^\d+$/.test(p)) out.size = Number(p);
    else if (ENSEMBLE_COMBINES.has(p)) out.combine = p;
    else {
      throw invalid(
        header,
        'must be true/false, a size (2-5), a combine mode (first-success, majority-vote, best-score) or both ("3,majority-vote")',
      );
    }
  }
  return out;
}

function invalid(param: string, message: string, prefix = param): InvalidRequestError {
  return new InvalidRequestError(`${prefix}: ${message}`, { param, code: 'invalid_hint' });
}

function fromIssue(
  error: z.ZodError,
  name: (field: string, rest: string) => { param: string; prefix: string },
): InvalidRequestError {
  const issue = error.issues[0];
  const [first, ...rest] = issue?.path ?? [];
  // An unknown key in a strict object is reported on the object itself, naming the key.
  const keys = issue && 'keys' in issue && Array.isArray(issue.keys) ? (issue.keys as string[]) : [];
  const field = first === undefined ? (keys[0] ?? '') : String(first);
  const { param, prefix } = name(field, rest.map(String).join('.'));
  return invalid(param, issue?.message ?? 'invalid value', prefix);
}
