// How upstream failures become `UpstreamError`s: one status table and one classifier for
// thrown errors (abort, timeouts, network), shared by every inference client and prober.
import type { UpstreamFailure } from '@switchyard/core';
import { jsonTextDepth, MAX_JSON_DEPTH, UpstreamError } from '@switchyard/core';

/**
 * The failure an upstream HTTP status means. 429 is throttling, 408 a timeout. 401/403/404 say
 * the endpoint is misconfigured (bad key, wrong path or model name), not that the request is
 * wrong, so they count as `server` and the router moves on; every other 4xx means the upstream
 * rejected the request itself (`rejected`, not retried elsewhere). 5xx and anything else: `server`.
 */
export function failureForStatus(status: number): UpstreamFailure {
  if (status === 429) return 'throttled';
  if (status === 408) return 'timeout';
  if (status === 401 || status === 403 || status === 404) return 'server';
  if (status >= 400 && status < 500) return 'rejected';
  return 'server';
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

/**
 * Classifies an error thrown while calling an endpoint that is not an HTTP answer: an aborted
 * `signal` (the attempt's timeout) is `timeout`; client-side timeouts too; everything else
 * (refused, reset, DNS) is `connection`.
 */
export function transportError(err: unknown, signal: AbortSignal, endpoint: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (signal.aborted) {
    return new UpstreamError('timeout', `${endpoint}: the attempt timed out`, undefined, { cause: err });
  }
  const name = err instanceof Error ? err.name : '';
  const code = errorCode(err);
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new UpstreamError('timeout', `${endpoint}: ${errorMessage(err)}`, undefined, { cause: err });
  }
  const what = code && CONNECTION_CODES.has(code) ? code : errorMessage(err);
  return new UpstreamError('connection', `${endpoint}: connection failed (${what})`, undefined, {
    cause: err,
  });
}

/**
 * Parses a JSON body or throws `invalid-response`, also when it nests deeper than a request may
 * (MAX_JSON_DEPTH), so no answer the router passes on can overflow a walk or JSON.stringify.
 */
export function parseJsonBody(text: string, endpoint: string, status?: number): unknown {
  if (jsonTextDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new UpstreamError(
      'invalid-response',
      `${endpoint}: the response nests more than ${MAX_JSON_DEPTH} levels deep`,
      status,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UpstreamError(
      'invalid-response',
      `${endpoint}: the response is not JSON (${text.slice(0, 80)})`,
      status,
      { cause: err },
    );
  }
}

/**
 * How long an upstream asked to wait before it is tried again, in ms: `retry-after-ms` (what
 * OpenAI sends), else `Retry-After` as delta-seconds or an HTTP date (`now` is the clock it is read
 * against); undefined when neither is there or readable. Never negative.
 */
export function retryAfterMs(headers: { get(name: string): string | null }, now: number): number | undefined {
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its day and month (`Wed, 21 Oct 2026 07:28:00 GMT`); Date.parse alone would take `-1`.
  const at = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
