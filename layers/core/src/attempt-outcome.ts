// Failure accounting: which attempts count for or against an endpoint. One rule for every place
// that keeps score (the router's local breakers, the passive outcomes and the health store
// behind them, the job workflow's invoke step):
// - an error is the upstream's failure only when it is an `UpstreamError` (the InferenceClient
//   contract, ports.ts); anything else thrown by a client is `not-sent`: the request could not
//   be built from the caller's input (an InvalidRequestError, the caller's 4xx) or our own code
//   failed (a 500). Neither says anything about the endpoint;
// - `success` counts for the endpoint; `timeout`, `connection`, `throttled`, `server` and
//   `invalid-response` against it;
// - `rejected` (the upstream answered that the request itself is invalid) counts neither way:
//   it is the caller's input, so one caller's bad requests can neither open nor hold closed a
//   circuit that other callers depend on;
// - `aborted` (a cancelled hedge loser) and `skipped-deadline` (never started) count neither way.
import type { AttemptOutcome } from './errors.ts';
import { UpstreamError } from './errors.ts';
import type { Outcome } from './ports.ts';

/** The outcome of an attempt that ended with `err`: the upstream's failure, or `not-sent`. */
export function outcomeOfError(err: unknown): AttemptOutcome {
  return err instanceof UpstreamError ? err.failure : 'not-sent';
}

/** What an attempt says about its endpoint: `ok`, `failed`, or nothing (undefined). */
export function endpointVerdict(outcome: AttemptOutcome): 'ok' | 'failed' | undefined {
  switch (outcome) {
    case 'success':
      return 'ok';
    case 'timeout':
    case 'connection':
    case 'throttled':
    case 'server':
    case 'invalid-response':
      return 'failed';
    default:
      return undefined;
  }
}

/**
 * The passive outcome an attempt contributes to its endpoint's health, or undefined when it
 * contributes none (see the module header). `at` is when the attempt (or its request) started.
 */
export function endpointOutcome(
  attempt: { endpoint: string; outcome: AttemptOutcome; duration_ms: number; ttft_ms?: number },
  at: number,
): Outcome | undefined {
  const verdict = endpointVerdict(attempt.outcome);
  if (verdict === undefined) return undefined;
  const base: Outcome = {
    endpoint: attempt.endpoint,
    ok: verdict === 'ok',
    latency_ms: attempt.duration_ms,
    at,
  };
  // A streamed attempt's time to first token says how fast the endpoint starts answering.
  if (attempt.ttft_ms !== undefined) base.ttft_ms = attempt.ttft_ms;
  return verdict === 'ok' ? base : { ...base, failure: attempt.outcome };
}
