// Bounds on JSON from callers and upstreams. Nesting depth is checked on the raw text before
// it is parsed (one pass, no allocation, no recursion), so every later walk over an accepted
// value (zod, the token estimate, JSON.stringify, the SDK marshallers) stays far from any stack
// limit. Sizes are measured without building strings.
import { InvalidRequestError, PayloadTooLargeError } from './errors.ts';

/**
 * The deepest nesting a request body may have: `{}` and `[1]` are depth 1. Deep enough for real
 * OpenAI bodies (a tool's JSON-schema parameters nested 10 object levels with `anyOf` at each is
 * about 45), below what the upstreams parse (TGI's serde_json stops at 128) and far below
 * V8's stack limits (thousands), so nothing accepted overflows anywhere.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The nesting depth of JSON text: brackets outside strings. Scanning stops as soon as the depth
 * exceeds `limit` (the result is then `limit + 1`). It does not validate: JSON.parse does.
 */
export function jsonTextDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return max;
}

/** The 400 for a body nested deeper than `limit`. */
export function jsonTooDeepError(limit = MAX_JSON_DEPTH): InvalidRequestError {
  return new InvalidRequestError(
    `The request body is nested more than ${limit} levels deep (the limit is ${limit}); flatten it.`,
    { code: 'json_too_deep' },
  );
}

/** Parses a request body: a 400 naming the limit when it nests too deep, a 400 when it is not JSON. */
export function parseRequestJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonTextDepth(text, maxDepth) > maxDepth) throw jsonTooDeepError(maxDepth);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidRequestError('Request body is not valid JSON.', { cause: err });
  }
}

/**
 * `JSON.stringify(value).length` without building the string, for JSON values (what JSON.parse
 * returns); 0 when stringify would give undefined. Iterative: no depth overflows it.
 */
export function jsonLength(value: unknown): number {
  if (!serializable(value)) return 0;
  let length = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (v === null) length += 4;
    else if (typeof v === 'string') length += quotedLength(v);
    else if (typeof v === 'number') length += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'boolean') length += v ? 4 : 5;
    else if (typeof v === 'bigint') length += String(v).length;
    else if (Array.isArray(v)) {
      length += 2 + Math.max(0, v.length - 1);
      for (const item of v) {
        if (serializable(item)) pending.push(item);
        else length += 4; // undefined, functions and symbols in arrays become null
      }
    } else if (typeof v === 'object') {
      let members = 0;
      for (const [key, item] of Object.entries(v)) {
        if (!serializable(item)) continue;
        members++;
        length += quotedLength(key) + 1;
        pending.push(item);
      }
      length += 2 + Math.max(0, members - 1);
    }
  }
  return length;
}

function serializable(v: unknown): boolean {
  return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
}

/** Length of a string as JSON.stringify writes it: quotes, two-character and \u escapes. */
function quotedLength(s: string): number {
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) {
      n += 2;
    } else if (c < 0x20) {
      n += 6;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n += 2;
        i++;
      } else {
        n += 6; // a lone high surrogate is escaped
      }
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      n += 6; // a lone low surrogate is escaped
    } else {
      n += 1;
    }
  }
  return n;
}

/**
 * Largest body of the synchronous API and the admin API. API Gateway takes 10 MB, but the Lambda
 * proxy event carries the body as a JSON string and Lambda refuses synchronous events over 6 MB;
 * at 1 MiB the event fits with a margin of five times, whatever API Gateway has to escape, so no
 * accepted body fails between the gateway and the function.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Largest job body: the job item (body, attempts, result) must fit DynamoDB's 400 KB items. */
export const MAX_JOB_BODY_BYTES = 256 * 1024;

/** `1048576 bytes (1 MiB)`. */
export function describeBytes(bytes: number): string {
  const unit =
    bytes % (1024 * 1024) === 0
      ? `${bytes / (1024 * 1024)} MiB`
      : bytes % 1024 === 0
        ? `${bytes / 1024} KiB`
        : '';
  return unit ? `${bytes} bytes (${unit})` : `${bytes} bytes`;
}

/** The message of a 413: the same words from the handler, the local gateway and AWS WAF. */
export function bodyTooLargeMessage(limit: number): string {
  return `The request body is larger than ${describeBytes(limit)}, the limit for this route.`;
}

/** The 413 for a body over `limit` bytes. */
export function bodyTooLargeError(limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(bodyTooLargeMessage(limit));
}
