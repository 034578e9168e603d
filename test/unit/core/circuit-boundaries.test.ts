// The circuit breaker, its error windows and the health check's assessment at their edges: the
// minimum request count and the error-rate threshold at exactly their values and one short, the
// window and cooldown at exactly their lengths, and `degraded` at exactly half the trip
// threshold. Expected values are literals.
import { describe, expect, it } from 'vitest';
import type {
  Breaker,
  CircuitSettings,
  EndpointHealth,
  HealthFacts,
} from '../../../layers/core/src/index.ts';
import {
  admit,
  assessEndpoint,
  breakerAt,
  closedBreaker,
  effectiveStatus,
  emptyWindow,
  isFresh,
  recordOutcome,
  tripReason,
  windowFromMarks,
  windowRecord,
  windowTotals,
} from '../../../layers/core/src/index.ts';

// Consecutive failures cannot trip before the error rate does with these settings.
const S: CircuitSettings = {
  failure_threshold: 100,
  error_rate_threshold: 0.5,
  min_requests: 6,
  window_ms: 6_000, // buckets of 1000 ms
  cooldown_ms: 1_000,
};

const feed = (outcomes: readonly boolean[], start = 0, s = S): Breaker =>
  outcomes.reduce<Breaker>(
    (b, ok, i) => recordOutcome(b, { ok, at: start + i, ...(ok ? {} : { detail: 'connection' }) }, s),
    closedBreaker(),
  );

describe('breaker: minimum requests and error rate', () => {
  it('opens at exactly min_requests with exactly the threshold error rate (3 of 6)', () => {
    const b = feed([true, false, true, false, true, false]);
    expect(b.state).toBe('open');
    expect(b.opened_at).toBe(5);
    expect(b.reason).toBe(
      'error rate 50% over 6 requests in 6000 ms (threshold 50%, min 6 requests); last: connection',
    );
  });

  it('stays closed one request short of min_requests, even with every request failing the rate', () => {
    // 3 of 5 failed (60%), but only 5 requests.
    const b = feed([false, true, false, true, false]);
    expect(b.state).toBe('closed');
    expect(b.consecutive_failures).toBe(1);
  });

  it('stays closed just under the threshold rate (3 of 7 = 42.9%)', () => {
    expect(feed([true, true, false, true, false, true, false]).state).toBe('closed');
  });

  it('tripReason at the boundaries', () => {
    expect(tripReason(0, { requests: 6, failures: 3, error_rate: 0.5 }, S)).toBe(
      'error rate 50% over 6 requests in 6000 ms (threshold 50%, min 6 requests)',
    );
    expect(tripReason(0, { requests: 5, failures: 5, error_rate: 1 }, S)).toBeUndefined();
    expect(tripReason(0, { requests: 6, failures: 2, error_rate: 2 / 6 }, S)).toBeUndefined();
    expect(tripReason(0, { requests: 1000, failures: 499, error_rate: 0.499 }, S)).toBeUndefined();
    const few: CircuitSettings = { ...S, failure_threshold: 4 };
    expect(tripReason(4, { requests: 0, failures: 0, error_rate: 0 }, few)).toBe(
      '4 consecutive failures (threshold 4)',
    );
    expect(tripReason(3, { requests: 0, failures: 0, error_rate: 0 }, few)).toBeUndefined();
  });

  it('counts the failures in the window only: a window of old failures plus new successes stays closed', () => {
    // Three failures at 0..2 s, then three successes and a failure at 6..8 s: at 8001 ms the
    // window is (2001, 8001], so 1 of 4 failed; counting everything would be 4 of 7 and open it.
    let b = closedBreaker();
    for (const [ok, at] of [
      [false, 0],
      [false, 1000],
      [false, 2000],
      [true, 6000],
      [true, 7000],
      [true, 8000],
      [false, 8001],
    ] as Array<[boolean, number]>) {
      b = recordOutcome(b, { ok, at }, S);
    }
    expect(b.state).toBe('closed');
    expect(windowTotals(b.window, 8001, S.window_ms)).toEqual({ requests: 4, failures: 1, error_rate: 0.25 });
  });
});

describe('error window edges', () => {
  it('a bucket counts while now is less than window_ms after its start, not at exactly window_ms', () => {
    const w = windowRecord(emptyWindow(), 0, false, 6_000);
    expect(windowTotals(w, 5_999, 6_000)).toEqual({ requests: 1, failures: 1, error_rate: 1 });
    expect(windowTotals(w, 6_000, 6_000)).toEqual({ requests: 0, failures: 0, error_rate: 0 });
  });

  it('drops a bucket when recording exactly window_ms after its start', () => {
    let w = windowRecord(emptyWindow(), 0, false, 6_000);
    w = windowRecord(w, 5_999, true, 6_000);
    expect(w.buckets).toEqual([
      { start: 0, requests: 1, failures: 1 },
      { start: 5_000, requests: 1, failures: 0 },
    ]);
    w = windowRecord(w, 6_000, true, 6_000);
    expect(w.buckets).toEqual([
      { start: 5_000, requests: 1, failures: 0 },
      { start: 6_000, requests: 1, failures: 0 },
    ]);
  });

  it('adds to the current bucket, and buckets are window_ms / 6 wide (rounded up)', () => {
    let w = windowRecord(emptyWindow(), 1_000, false, 6_000);
    w = windowRecord(w, 1_999, false, 6_000);
    w = windowRecord(w, 2_000, true, 6_000);
    expect(w.buckets).toEqual([
      { start: 1_000, requests: 2, failures: 2 },
      { start: 2_000, requests: 1, failures: 0 },
    ]);
    // 1000 / 6 rounds up to 167 ms buckets.
    expect(windowRecord(emptyWindow(), 500, true, 1_000).buckets).toEqual([
      { start: 334, requests: 1, failures: 0 },
    ]);
  });

  it('counter marks: measures from a mark exactly window_ms old, not from an older one', () => {
    const marks = [
      { at: 0, requests: 0, failures: 0 },
      { at: 10_000, requests: 10, failures: 1 },
      { at: 20_000, requests: 30, failures: 3 },
    ];
    const w = windowFromMarks(marks, { at: 40_000, requests: 50, failures: 11 }, 30_000);
    expect(w).toMatchObject({ requests: 40, failures: 10, error_rate: 0.25 });
    expect(w.marks.map((m) => m.at)).toEqual([10_000, 20_000, 40_000]);
  });

  it('counter marks: failures never exceed requests nor go below zero; marks from the future are ignored', () => {
    const w = windowFromMarks(
      [
        { at: 0, requests: 10, failures: 8 },
        { at: 99_000, requests: 0, failures: 0 },
      ],
      { at: 30_000, requests: 12, failures: 20 },
      30_000,
    );
    expect(w).toMatchObject({ requests: 2, failures: 2, error_rate: 1 });
    expect(w.marks.map((m) => m.at)).toEqual([0, 30_000]);
    const fewer = windowFromMarks(
      [{ at: 0, requests: 10, failures: 8 }],
      { at: 30_000, requests: 12, failures: 5 },
      30_000,
    );
    expect(fewer).toMatchObject({ requests: 2, failures: 0, error_rate: 0 });
  });
});

describe('breaker: cooldown and trial edges', () => {
  const opened = (): Breaker =>
    feed([false, false, false, false, false, false], 0, { ...S, failure_threshold: 6 });

  it('is open until exactly cooldown_ms after opening, then half-open', () => {
    const b = opened();
    expect(b.opened_at).toBe(5);
    expect(breakerAt(b, 1_004, S).state).toBe('open');
    expect(admit(b, 1_004, S).admitted).toBe(false);
    expect(breakerAt(b, 1_005, S).state).toBe('half-open');
  });

  it('a trial under way blocks others until exactly one cooldown after it started', () => {
    const trial = admit(opened(), 2_000, S);
    expect(trial.admitted).toBe(true);
    expect(admit(trial.breaker, 2_999, S).admitted).toBe(false);
    const again = admit(trial.breaker, 3_000, S);
    expect(again.admitted).toBe(true);
    expect(again.breaker.trial_at).toBe(3_000);
  });

  it('a failed trial counts as one more consecutive failure and restarts the cooldown at its time', () => {
    const trial = admit(opened(), 2_000, S).breaker;
    const failed = recordOutcome(trial, { ok: false, at: 2_100 }, S);
    expect(failed).toMatchObject({ state: 'open', opened_at: 2_100, consecutive_failures: 7 });
    expect(failed.reason).toBe('trial after cooldown failed');
    expect(breakerAt(failed, 3_099, S).state).toBe('open');
    expect(breakerAt(failed, 3_100, S).state).toBe('half-open');
  });
});

describe('freshness edges', () => {
  it('a record is fresh up to and including freshMs old', () => {
    expect(isFresh({ checked_at: 1_000 }, 2_000, 1_000)).toBe(true);
    expect(isFresh({ checked_at: 999 }, 2_000, 1_000)).toBe(false);
    expect(isFresh({ checked_at: Number.NaN }, 2_000, 1_000)).toBe(false);
    expect(isFresh(undefined, 2_000, 1_000)).toBe(false);
    const down: EndpointHealth = { endpoint: 'e', status: 'down', checked_at: 1_000, circuit: 'closed' };
    expect(effectiveStatus(down, 2_000, 1_000)).toBe('down');
    expect(effectiveStatus(down, 2_001, 1_000)).toBe('unknown');
  });
});

describe('assessEndpoint edges', () => {
  const A: CircuitSettings = {
    failure_threshold: 3,
    error_rate_threshold: 0.5,
    min_requests: 4,
    window_ms: 30_000,
    cooldown_ms: 20_000,
  };
  const base = { at: 0, requests: 0, failures: 0 };
  const facts = (requests: number, failures: number, over: Partial<HealthFacts> = {}): HealthFacts => ({
    consecutive_failures: 0,
    requests,
    failures,
    marks: [base],
    ...over,
  });
  const probe = (ok: boolean, at = 30_000) => ({
    ok,
    latency_ms: 12,
    detail: ok ? 'HTTP 200' : 'connection refused',
    at,
  });
  const closed: EndpointHealth = { endpoint: 'e', status: 'up', checked_at: 0, circuit: 'closed' };
  const assess = (f: HealthFacts, p = probe(true), prior: EndpointHealth = closed) =>
    assessEndpoint('e', prior, f, p, A);

  it('degraded at exactly half the trip threshold (1 of 4 = 25%), with the rate in the reason', () => {
    const a = assess(facts(4, 1));
    expect(a.health.status).toBe('degraded');
    expect(a.health.circuit).toBe('closed');
    expect(a.health.reason).toBe('error rate 25% over 4 requests; probe: HTTP 200');
    expect(a.health.error_rate).toBe(0.25);
  });

  it('up just under half the threshold (1 of 5 = 20%)', () => {
    const a = assess(facts(5, 1));
    expect(a.health.status).toBe('up');
    expect(a.health.reason).toBe('HTTP 200');
  });

  it('up with too few requests, whatever their error rate (3 of 3 failed, min_requests 4)', () => {
    const a = assess(facts(3, 3));
    expect(a.health.status).toBe('up');
    expect(a.health.circuit).toBe('closed');
    expect(a.transition).toBeUndefined();
  });

  it('opens at exactly min_requests and the threshold rate (2 of 4), and is degraded', () => {
    const a = assess(facts(4, 2));
    expect(a.health).toMatchObject({ status: 'degraded', circuit: 'open', circuit_opened_at: 30_000 });
    expect(a.circuit_reason).toBe(
      'error rate 50% over 4 requests in 30000 ms (threshold 50%, min 4 requests)',
    );
    expect(a.transition).toEqual({ from: 'closed', to: 'open' });
  });

  it('opens at exactly failure_threshold consecutive failures, not one before', () => {
    expect(assess(facts(0, 0, { consecutive_failures: 2 }), probe(false)).health.circuit).toBe('closed');
    expect(assess(facts(0, 0, { consecutive_failures: 3 }), probe(false)).health.circuit).toBe('open');
  });

  it('an open circuit waits exactly cooldown_ms before the probe is its trial', () => {
    const open: EndpointHealth = { ...closed, circuit: 'open', circuit_opened_at: 10_000 };
    const early = assess(facts(0, 0, { circuit_reason: 'r' }), probe(true, 29_999), open);
    expect(early.health).toMatchObject({ circuit: 'open', circuit_opened_at: 10_000 });
    expect(early.transition).toBeUndefined();
    expect(early.health.reason).toBe('r');
    const due = assess(facts(0, 0, { circuit_reason: 'r' }), probe(true, 30_000), open);
    expect(due.health.circuit).toBe('closed');
    expect(due.health.circuit_opened_at).toBeUndefined();
    expect(due.transition).toEqual({ from: 'open', to: 'closed' });
  });

  it('a failed probe is down whatever the error rate, and the window is reported', () => {
    const a = assess(facts(10, 1), probe(false));
    expect(a.health.status).toBe('down');
    expect(a.health.reason).toBe('connection refused');
    expect(a.window).toEqual({ requests: 10, failures: 1, ms: 30_000 });
  });

  it('reports the window p95 from the latency histograms', () => {
    const hist = new Array<number>(22).fill(0);
    hist[6] = 20; // 20 samples in the (75, 100] ms bucket
    const a = assess({ ...facts(20, 0), hist, marks: [{ ...base, hist: new Array<number>(22).fill(0) }] });
    expect(a.health.latency_p95_ms).toBe(98.75);
    expect(a.health.latency_ms).toBe(12);
    expect(a.health.checked_at).toBe(30_000);
  });
});
