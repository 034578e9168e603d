// Domain errors. Each carries the HTTP status and OpenAI error fields it maps to; the one
// error middleware in the handlers turns them into `{"error":{message,type,param,code}}`.
import type { ExclusionRule } from './route.types.ts';

export interface ErrorOptions {
  cause?: unknown;
  param?: string | null;
  code?: string | null;
}

export class SwitchyardError extends Error {
  // Each class names itself (not `new.target.name`): the bundles are minified without keepNames.
  override name = 'SwitchyardError';
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string>;

  constructor(
    message: string,
    status: number,
    type: string,
    options: ErrorOptions & { headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.type = type;
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }
}

export class InvalidRequestError extends SwitchyardError {
  override name = 'InvalidRequestError';
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, 400, 'invalid_request_error', { code: 'invalid_request', ...options });
  }
}

export class AuthenticationError extends SwitchyardError {
  override name = 'AuthenticationError';
  constructor(message = 'Invalid or missing API key.', options: ErrorOptions = {}) {
    super(message, 401, 'authentication_error', { code: 'invalid_api_key', ...options });
  }
}

export class PermissionDeniedError extends SwitchyardError {
  override name = 'PermissionDeniedError';
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, 403, 'permission_error', { code: 'forbidden', ...options });
  }
}

export class NotFoundError extends SwitchyardError {
  override name = 'NotFoundError';
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, 404, 'invalid_request_error', { code: 'not_found', ...options });
  }
}

export class ModelNotFoundError extends SwitchyardError {
  override name = 'ModelNotFoundError';
  constructor(model: string, options: ErrorOptions = {}) {
    super(
      `The model "${model}" does not exist or you do not have access to it.`,
      404,
      'invalid_request_error',
      { code: 'model_not_found', param: 'model', ...options },
    );
  }
}

export class ConflictError extends SwitchyardError {
  override name = 'ConflictError';
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, 409, 'invalid_request_error', { code: 'conflict', ...options });
  }
}

export class PayloadTooLargeError extends SwitchyardError {
  override name = 'PayloadTooLargeError';
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, 413, 'invalid_request_error', { code: 'payload_too_large', ...options });
  }
}

export class RateLimitError extends SwitchyardError {
  override name = 'RateLimitError';
  constructor(message: string, retryAfterSeconds: number, options: ErrorOptions = {}) {
    super(message, 429, 'rate_limit_error', {
      code: 'rate_limit_exceeded',
      ...options,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

/** Which budget refused a request, for the error body's readers and the logs. */
export interface QuotaDetails {
  /** Budget id, e.g. `usd-month`. */
  budget: string;
  /** Period key, e.g. `2026-11`. */
  period: string;
  /** Epoch ms when the budget resets; null when it never does (`total`). */
  resets_at: number | null;
}

/**
 * A spend budget refused the request (OpenAI's `insufficient_quota`): 429, with Retry-After when
 * waiting can help (until the period resets, or seconds when the rest is only leased out).
 */
export class InsufficientQuotaError extends SwitchyardError {
  override name = 'InsufficientQuotaError';
  readonly quota: QuotaDetails;

  constructor(
    message: string,
    quota: QuotaDetails,
    retryAfterSeconds: number | null,
    options: ErrorOptions = {},
  ) {
    super(message, 429, 'insufficient_quota', {
      code: 'insufficient_quota',
      ...options,
      headers:
        retryAfterSeconds === null
          ? {}
          : { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
    this.quota = quota;
  }
}

/** The budget store could not be reached: the request is not served unmetered (503, retry). */
export class BudgetUnavailableError extends SwitchyardError {
  override name = 'BudgetUnavailableError';
  constructor(message = 'The budget service is unavailable; retry shortly.', options: ErrorOptions = {}) {
    super(message, 503, 'service_unavailable', {
      code: 'budget_unavailable',
      ...options,
      headers: { 'retry-after': '1' },
    });
  }
}

/** Rules that exclude on the system's state, not the caller's constraints: emptying on them is a 503. */
const AVAILABILITY_RULES: ReadonlySet<ExclusionRule> = new Set([
  'endpoint-state',
  'health-down',
  'circuit-open',
  'model-status',
]);

/**
 * No endpoint survived the hard constraints. `rule` is the constraint that emptied the set;
 * 503 when it is about availability (down, circuit open), 400 when it is the request's own.
 */
export class NoCandidateError extends SwitchyardError {
  override name = 'NoCandidateError';
  readonly rule: ExclusionRule;
  readonly excluded: ReadonlyArray<{ endpoint: string; rule: ExclusionRule; reason: string }>;

  constructor(
    rule: ExclusionRule,
    message: string,
    excluded: ReadonlyArray<{ endpoint: string; rule: ExclusionRule; reason: string }>,
    options: ErrorOptions = {},
  ) {
    const available = AVAILABILITY_RULES.has(rule);
    super(message, available ? 503 : 400, available ? 'service_unavailable' : 'invalid_request_error', {
      code: 'no_candidate',
      ...options,
      headers: available ? { 'retry-after': '5' } : {},
    });
    this.rule = rule;
    this.excluded = excluded;
  }
}

export type UpstreamFailure =
  | 'timeout'
  | 'connection'
  | 'throttled'
  | 'server'
  | 'rejected'
  | 'invalid-response';

/**
 * An upstream endpoint failed. `retryable` failures move on to the next target; a `rejected`
 * one (the upstream says the request itself is invalid) does not.
 */
export class UpstreamError extends SwitchyardError {
  override name = 'UpstreamError';
  readonly failure: UpstreamFailure;
  readonly retryable: boolean;
  readonly upstreamStatus: number | undefined;
  /** How long the upstream asked to wait before trying it again (its Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    failure: UpstreamFailure,
    message: string,
    upstreamStatus?: number,
    { retryAfterMs, ...options }: ErrorOptions & { retryAfterMs?: number } = {},
  ) {
    super(
      message,
      failure === 'rejected' ? 400 : failure === 'timeout' ? 504 : 502,
      failure === 'rejected' ? 'invalid_request_error' : 'upstream_error',
      {
        code: `upstream_${failure.replace('-', '_')}`,
        ...options,
      },
    );
    this.failure = failure;
    this.retryable = failure !== 'rejected';
    this.upstreamStatus = upstreamStatus;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * How one attempt ended. Besides success and the upstream's failures: `skipped-deadline` (never
 * started), `aborted` (cancelled: another attempt answered first) and `not-sent` (the attempt
 * ended without the upstream's verdict: the request could not be built from the caller's input,
 * or our own code failed). Only success and the upstream failures other than `rejected` say
 * anything about the endpoint (see attempt-outcome.ts).
 */
export type AttemptOutcome = 'success' | UpstreamFailure | 'skipped-deadline' | 'aborted' | 'not-sent';

export interface AttemptRecord {
  endpoint: string;
  model: string;
  version: string;
  outcome: AttemptOutcome;
  duration_ms: number;
  status?: number;
  error?: string;
  /** The attempt's number on its target, set from the second (a same-target retry). */
  attempt?: number;
  /** How long the retry waited after the previous attempt on the target (backoff or Retry-After). */
  backoff_ms?: number;
  /** Streamed attempts: time to the first chunk (ms); `duration_ms` is then the whole stream's. */
  ttft_ms?: number;
  /** Streamed attempts: mean gap between chunks after the first (ms), when there were two or more. */
  inter_token_ms?: number;
  /** Streamed attempts: chunks received. */
  chunks?: number;
}

/** The caller went away (closed the connection) before the answer was complete: nothing to send. */
export class ClientGoneError extends SwitchyardError {
  override name = 'ClientGoneError';
  constructor() {
    super('The client closed the connection.', 499, 'invalid_request_error', {
      code: 'client_closed_request',
    });
  }
}

/** Every target in the plan failed (or the deadline ran out): 502, or 504 when time ran out. */
export class TargetsExhaustedError extends SwitchyardError {
  override name = 'TargetsExhaustedError';
  readonly attempts: readonly AttemptRecord[];

  constructor(attempts: readonly AttemptRecord[], deadlineExceeded: boolean, options: ErrorOptions = {}) {
    const tried = attempts.map((a) => `${a.endpoint} (${a.outcome})`).join(', ') || 'nothing';
    super(
      deadlineExceeded
        ? `The deadline ran out before any endpoint answered. Tried: ${tried}.`
        : `Every candidate endpoint failed. Tried: ${tried}.`,
      deadlineExceeded ? 504 : 502,
      'upstream_error',
      { code: deadlineExceeded ? 'deadline_exceeded' : 'all_targets_failed', ...options },
    );
    this.attempts = attempts;
  }
}
