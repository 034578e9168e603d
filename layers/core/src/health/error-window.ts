// Error rates over a sliding time window, two ways, both pure:
// - a bucketed rolling window (in memory, fed one outcome at a time: the router's breakers);
// - counter marks: snapshots of cumulative counters taken now and then (the health check's, over
//   counters other writers add to atomically); the window is the newest snapshot minus the one
//   taken about `window_ms` earlier.
import { histogramDiff, histogramQuantile } from './latency.ts';

export interface WindowTotals {
  requests: number;
  failures: number;
  /** failures / requests; 0 when there were no requests. */
  error_rate: number;
}

interface Bucket {
  readonly start: number;
  readonly requests: number;
  readonly failures: number;
}

/** A rolling window of `BUCKETS` buckets of `window_ms / BUCKETS` each. */
export interface ErrorWindow {
  readonly buckets: readonly Bucket[];
}

const BUCKETS = 6;

export const emptyWindow = (): ErrorWindow => ({ buckets: [] });

const bucketMs = (windowMs: number): number => Math.max(1, Math.ceil(windowMs / BUCKETS));

/** The window with one more outcome at `at`; buckets older than the window are dropped. */
export function windowRecord(w: ErrorWindow, at: number, ok: boolean, windowMs: number): ErrorWindow {
  const size = bucketMs(windowMs);
  const start = Math.floor(at / size) * size;
  const kept = w.buckets.filter((b) => b.start > at - windowMs);
  const last = kept[kept.length - 1];
  if (last && last.start === start) {
    kept[kept.length - 1] = { start, requests: last.requests + 1, failures: last.failures + (ok ? 0 : 1) };
  } else {
    kept.push({ start, requests: 1, failures: ok ? 0 : 1 });
  }
  return { buckets: kept };
}

/** Requests, failures and error rate in the window ending at `now`. */
export function windowTotals(w: ErrorWindow, now: number, windowMs: number): WindowTotals {
  let requests = 0;
  let failures = 0;
  for (const b of w.buckets) {
    if (b.start <= now - windowMs) continue;
    requests += b.requests;
    failures += b.failures;
  }
  return { requests, failures, error_rate: requests > 0 ? failures / requests : 0 };
}

/** Cumulative counters as they were at `at`. */
export interface CounterMark {
  at: number;
  requests: number;
  failures: number;
  /** Cumulative latency histogram (latency.ts buckets), when kept. */
  hist?: number[];
}

export interface MarkedWindow extends WindowTotals {
  /** p95 latency in the window, from the histograms (undefined without samples). */
  p95_ms?: number;
  /** The marks to keep: the one the window was measured from, newer ones, and `current`. */
  marks: CounterMark[];
}

/**
 * The window ending at `current.at`, measured from the newest mark at least `windowMs` old (or the
 * oldest there is); without marks the window is empty. Counters that went backwards (an item that
 * expired and restarted) count from zero.
 */
export function windowFromMarks(
  marks: readonly CounterMark[],
  current: CounterMark,
  windowMs: number,
): MarkedWindow {
  const sorted = [...marks].filter((m) => m.at <= current.at).sort((a, b) => a.at - b.at);
  const cutoff = current.at - windowMs;
  let baseIndex = 0;
  for (let i = 0; i < sorted.length; i++) if ((sorted[i] as CounterMark).at <= cutoff) baseIndex = i;
  const base = sorted[baseIndex];
  const kept = [...sorted.slice(baseIndex), current];
  if (!base) return { requests: 0, failures: 0, error_rate: 0, marks: kept };
  const reset = current.requests < base.requests;
  const requests = reset ? current.requests : current.requests - base.requests;
  const failures = Math.min(
    requests,
    Math.max(0, reset ? current.failures : current.failures - base.failures),
  );
  const p95 = current.hist
    ? histogramQuantile(histogramDiff(current.hist, reset ? undefined : base.hist), 0.95)
    : undefined;
  return {
    requests,
    failures,
    error_rate: requests > 0 ? failures / requests : 0,
    ...(p95 !== undefined ? { p95_ms: p95 } : {}),
    marks: kept,
  };
}
