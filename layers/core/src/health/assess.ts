// One endpoint's health after a probe round, combining the active probe with the passive
// outcomes the router (and the job invoke step) recorded: status, windowed error rate and p95,
// and the shared circuit (circuit-breaker.ts rules, with the probe as the half-open trial).
// Pure: the health check reads the figures, calls assessEndpoint, and writes what it returns.
import type { CircuitSettings } from '../registry.schema.ts';
import type { CircuitState, EndpointHealth, HealthStatus } from '../route.types.ts';
import { tripReason } from './circuit-breaker.ts';
import type { CounterMark } from './error-window.ts';
import { windowFromMarks } from './error-window.ts';

/** The counters the health table keeps for an endpoint besides its EndpointHealth fields. */
export interface HealthFacts {
  /** Failures since the last success, probes and passive outcomes together. */
  consecutive_failures: number;
  /** Cumulative attempts and failures: passive outcomes plus probes. */
  requests: number;
  failures: number;
  /** Cumulative latency histogram of passive outcomes (latency.ts buckets). */
  hist?: number[];
  /** Counter marks of earlier rounds (error-window.ts). */
  marks: CounterMark[];
  /** Why the circuit is (or last was) open. */
  circuit_reason?: string;
}

export interface ProbeObservation {
  ok: boolean;
  latency_ms: number;
  detail: string;
  at: number;
}

export interface Assessment {
  /** The fields to write (the EWMAs the outcomes maintain are left as they are). */
  health: EndpointHealth;
  marks: CounterMark[];
  circuit_reason?: string;
  /** Attempts and failures in the window the error rate is over. */
  window: { requests: number; failures: number; ms: number };
  /** What happened to the circuit this round, when anything did. */
  transition?: { from: CircuitState; to: CircuitState };
}

const pct = (r: number): string => `${Math.round(r * 1000) / 10}%`;

/** Assesses one endpoint at `probe.at` from its prior record, its counters and this round's probe. */
export function assessEndpoint(
  endpoint: string,
  prior: EndpointHealth | undefined,
  facts: HealthFacts,
  probe: ProbeObservation,
  settings: CircuitSettings,
): Assessment {
  const now = probe.at;
  const current: CounterMark = {
    at: now,
    requests: facts.requests,
    failures: facts.failures,
    ...(facts.hist ? { hist: facts.hist } : {}),
  };
  const win = windowFromMarks(facts.marks, current, settings.window_ms);
  let marks = win.marks;
  const from: CircuitState = prior?.circuit ?? 'closed';
  let circuit: CircuitState = from;
  let openedAt = prior?.circuit_opened_at;
  let why = facts.circuit_reason;
  if (from !== 'closed') {
    if (now - (openedAt ?? 0) >= settings.cooldown_ms) {
      // Half-open: this probe is the trial.
      if (probe.ok) {
        circuit = 'closed';
        openedAt = undefined;
        why = `closed after a successful probe (was open: ${why ?? 'unknown'})`;
        marks = [current]; // the error-rate window restarts with the closed circuit
      } else {
        circuit = 'open';
        openedAt = now;
        why = `probe after cooldown failed: ${probe.detail}`;
      }
    }
  } else {
    const trip = tripReason(facts.consecutive_failures, win, settings);
    if (trip) {
      circuit = 'open';
      openedAt = now;
      why = trip;
    }
  }

  let status: HealthStatus;
  let statusReason: string;
  if (!probe.ok) {
    status = 'down';
    statusReason = probe.detail;
  } else if (win.requests >= settings.min_requests && win.error_rate >= settings.error_rate_threshold / 2) {
    status = 'degraded';
    statusReason = `error rate ${pct(win.error_rate)} over ${win.requests} requests; probe: ${probe.detail}`;
  } else {
    status = 'up';
    statusReason = probe.detail;
  }
  const health: EndpointHealth = {
    endpoint,
    status,
    checked_at: now,
    latency_ms: probe.latency_ms,
    error_rate: win.error_rate,
    circuit,
    ...(openedAt !== undefined ? { circuit_opened_at: openedAt } : {}),
    ...(win.p95_ms !== undefined ? { latency_p95_ms: win.p95_ms } : {}),
    reason: circuit === 'open' ? (why ?? statusReason) : statusReason,
  };
  return {
    health,
    marks,
    ...(why !== undefined ? { circuit_reason: why } : {}),
    window: { requests: win.requests, failures: win.failures, ms: settings.window_ms },
    ...(circuit !== from ? { transition: { from, to: circuit } } : {}),
  };
}
