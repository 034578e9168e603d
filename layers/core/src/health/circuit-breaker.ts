// The circuit breaker of one endpoint as a pure state machine (no clock, no I/O: time comes in).
//
//   closed --(failure_threshold consecutive failures, or error rate >= error_rate_threshold over
//             window_ms with at least min_requests)--> open
//   open   --(cooldown_ms elapsed)--> half-open
//   half-open: admits ONE trial (a request, or the health check's probe); success -> closed,
//             failure -> open again (cooldown restarts). A trial that never reports back frees
//             the slot after another cooldown.
// The router keeps one Breaker per endpoint in memory, fed by every attempt at once; the health
// check applies the same rules to the shared figures in the health table (assess.ts).
import type { CircuitSettings } from '../registry.schema.ts';
import type { CircuitState } from '../route.types.ts';
import type { ErrorWindow, WindowTotals } from './error-window.ts';
import { emptyWindow, windowRecord, windowTotals } from './error-window.ts';

/** Defaults of a policy's `circuit` settings (registry.schema.ts CircuitSettingsSchema). */
export const DEFAULT_CIRCUIT_SETTINGS: Readonly<CircuitSettings> = {
  failure_threshold: 5,
  error_rate_threshold: 0.5,
  min_requests: 20,
  window_ms: 60_000,
  cooldown_ms: 30_000,
};

export interface Breaker {
  readonly state: CircuitState;
  readonly consecutive_failures: number;
  readonly window: ErrorWindow;
  /** When the circuit last opened (epoch ms). */
  readonly opened_at?: number;
  /** Why it is open (or was, until it closed). */
  readonly reason?: string;
  /** Half-open: when the trial was let through. */
  readonly trial_at?: number;
}

export interface BreakerOutcome {
  ok: boolean;
  at: number;
  /** What went wrong (for the reason), e.g. `connection`, `timeout`. */
  detail?: string;
}

export const closedBreaker = (): Breaker => ({
  state: 'closed',
  consecutive_failures: 0,
  window: emptyWindow(),
});

/** Why a closed circuit should open on these figures, or undefined. */
export function tripReason(
  consecutiveFailures: number,
  window: WindowTotals,
  settings: CircuitSettings,
): string | undefined {
  if (consecutiveFailures >= settings.failure_threshold) {
    return `${consecutiveFailures} consecutive failures (threshold ${settings.failure_threshold})`;
  }
  if (window.requests >= settings.min_requests && window.error_rate >= settings.error_rate_threshold) {
    const pct = (r: number) => `${Math.round(r * 1000) / 10}%`;
    return `error rate ${pct(window.error_rate)} over ${window.requests} requests in ${settings.window_ms} ms (threshold ${pct(settings.error_rate_threshold)}, min ${settings.min_requests} requests)`;
  }
  return undefined;
}

const open = (b: Breaker, at: number, reason: string): Breaker => ({
  state: 'open',
  consecutive_failures: b.consecutive_failures,
  window: b.window,
  opened_at: at,
  reason,
});

/** The breaker as it stands at `now`: an open circuit past its cooldown is half-open. */
export function breakerAt(b: Breaker, now: number, settings: CircuitSettings): Breaker {
  if (b.state === 'open' && now - (b.opened_at ?? now) >= settings.cooldown_ms) {
    const { trial_at: _t, ...rest } = b;
    return { ...rest, state: 'half-open' };
  }
  return b;
}

/**
 * Whether an attempt may go to the endpoint at `now`, and the breaker after the decision (a
 * half-open circuit marks its one trial as taken).
 */
export function admit(
  b: Breaker,
  now: number,
  settings: CircuitSettings,
): { admitted: boolean; breaker: Breaker } {
  const current = breakerAt(b, now, settings);
  if (current.state === 'closed') return { admitted: true, breaker: current };
  if (current.state === 'open') return { admitted: false, breaker: current };
  const busy = current.trial_at !== undefined && now - current.trial_at < settings.cooldown_ms;
  if (busy) return { admitted: false, breaker: current };
  return { admitted: true, breaker: { ...current, trial_at: now } };
}

/** Frees a half-open trial slot whose attempt ended without a verdict (aborted). */
export function releaseTrial(b: Breaker): Breaker {
  if (b.trial_at === undefined) return b;
  const { trial_at: _t, ...rest } = b;
  return rest;
}

/** The breaker after one attempt's outcome. Outcomes reaching an open circuit (late) are ignored. */
export function recordOutcome(b: Breaker, outcome: BreakerOutcome, settings: CircuitSettings): Breaker {
  const current = breakerAt(b, outcome.at, settings);
  if (current.state === 'open') return current;
  if (current.state === 'half-open') {
    if (outcome.ok) return closedBreaker();
    return open(
      { ...current, consecutive_failures: current.consecutive_failures + 1 },
      outcome.at,
      `trial after cooldown failed${outcome.detail ? ` (${outcome.detail})` : ''}`,
    );
  }
  const window = windowRecord(current.window, outcome.at, outcome.ok, settings.window_ms);
  const consecutive = outcome.ok ? 0 : current.consecutive_failures + 1;
  const next: Breaker = { state: 'closed', consecutive_failures: consecutive, window };
  if (outcome.ok) return next;
  const why = tripReason(consecutive, windowTotals(window, outcome.at, settings.window_ms), settings);
  return why ? open(next, outcome.at, `${why}${outcome.detail ? `; last: ${outcome.detail}` : ''}`) : next;
}
