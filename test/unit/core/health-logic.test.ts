// Pure health logic: latency histogram and quantiles, error windows (rolling buckets and counter
// marks), freshness, circuit settings per endpoint, and the health check's assessment.
import { describe, expect, it } from 'vitest';
import type { CircuitSettings, EndpointHealth, HealthFacts, Policy } from '../../../layers/core/src/index.ts';
import {
  assessEndpoint,
  circuitSettingsFor,
  DEFAULT_CIRCUIT_SETTINGS,
  effectiveStatus,
  emptyHistogram,
  emptyWindow,
  histogramDiff,
  histogramQuantile,
  isFresh,
  LATENCY_BUCKET_COUNT,
  latencyBucket,
  PolicySchema,
  windowFromMarks,
  windowRecord,
  windowTotals,
} from '../../../layers/core/src/index.ts';

describe('latency histogram', () => {
  it('buckets by inclusive upper bound, with an overflow bucket', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(5)).toBe(0);
    expect(latencyBucket(5.1)).toBe(1);
    expect(latencyBucket(1_000)).toBe(12);
    expect(latencyBucket(1e9)).toBe(LATENCY_BUCKET_COUNT - 1);
  });

  it('reads quantiles by interpolating inside the bucket', () => {
    const h = emptyHistogram();
    h[latencyBucket(40)] = 100; // (35, 50]
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(42.5);
    expect(histogramQuantile(h, 1)).toBe(50);
    h[latencyBucket(900)] = 100; // (750, 1000]
    expect(histogramQuantile(h, 0.95)).toBeCloseTo(750 + 250 * 0.9);
    expect(histogramQuantile(emptyHistogram(), 0.95)).toBeUndefined();
  });

  it('subtracts a baseline, never below zero', () => {
    const now = emptyHistogram();
    now[2] = 5;
    const base = emptyHistogram();
    base[2] = 2;
    base[3] = 4;
    const diff = histogramDiff(now, base);
    expect(diff[2]).toBe(3);
    expect(diff[3]).toBe(0);
  });
});

describe('error windows', () => {
  it('rolling buckets count what happened within the window', () => {
    let w = emptyWindow();
    w = windowRecord(w, 0, false, 600);
    w = windowRecord(w, 150, true, 600);
    w = windowRecord(w, 550, false, 600);
    expect(windowTotals(w, 550, 600)).toEqual({ requests: 3, failures: 2, error_rate: 2 / 3 });
    // Buckets of 100 ms: at 650 the bucket starting at 0 has left the window, the one at 100 not.
    expect(windowTotals(w, 650, 600)).toEqual({ requests: 2, failures: 1, error_rate: 0.5 });
    expect(windowTotals(w, 5_000, 600)).toEqual({ requests: 0, failures: 0, error_rate: 0 });
  });

  it('counter marks: the window runs from the newest mark at least window_ms old', () => {
    const marks = [
      { at: 0, requests: 10, failures: 0 },
      { at: 15_000, requests: 20, failures: 1 },
      { at: 30_000, requests: 40, failures: 5 },
    ];
    const w = windowFromMarks(marks, { at: 45_000, requests: 60, failures: 15 }, 30_000);
    // From the mark at 15 s: 40 requests, 14 failures.
    expect(w).toMatchObject({ requests: 40, failures: 14 });
    expect(w.marks.map((m) => m.at)).toEqual([15_000, 30_000, 45_000]);
  });

  it('counter marks: no earlier mark means an empty window; counters that restarted count from zero', () => {
    expect(windowFromMarks([], { at: 1, requests: 9, failures: 9 }, 1_000)).toMatchObject({
      requests: 0,
      error_rate: 0,
    });
    const w = windowFromMarks(
      [{ at: 0, requests: 100, failures: 50 }],
      { at: 2_000, requests: 4, failures: 1 },
      1_000,
    );
    expect(w).toMatchObject({ requests: 4, failures: 1, error_rate: 0.25 });
  });
});

describe('freshness', () => {
  const h: EndpointHealth = { endpoint: 'e', status: 'down', checked_at: 1_000, circuit: 'open' };
  it('counts stale or missing health as unknown', () => {
    expect(isFresh(h, 91_000, 90_000)).toBe(true);
    expect(isFresh(h, 91_001, 90_000)).toBe(false);
    expect(effectiveStatus(h, 50_000, 90_000)).toBe('down');
    expect(effectiveStatus(h, 500_000, 90_000)).toBe('unknown');
    expect(effectiveStatus(undefined, 0, 90_000)).toBe('unknown');
  });
});

describe('circuit settings per endpoint', () => {
  const policy = (name: string, extra: Record<string, unknown>): Policy =>
    PolicySchema.parse({ name, ...extra });
  it('prefers a policy naming the model, then priority; defaults without any', () => {
    const general = policy('general', { circuit: { failure_threshold: 9 } });
    const named = policy('named', { models: ['m'], circuit: { failure_threshold: 2 } });
    const other = policy('other', { models: ['x'], circuit: { failure_threshold: 1 } });
    const high = policy('high', { models: ['m'], priority: 5, circuit: { failure_threshold: 4 } });
    expect(circuitSettingsFor([], { model: 'm' })).toEqual(DEFAULT_CIRCUIT_SETTINGS);
    expect(circuitSettingsFor([general], { model: 'm' }).failure_threshold).toBe(9);
    expect(circuitSettingsFor([general, named, other], { model: 'm' }).failure_threshold).toBe(2);
    expect(circuitSettingsFor([named, high], { model: 'm' }).failure_threshold).toBe(4);
    expect(circuitSettingsFor([other], { model: 'm' })).toEqual(DEFAULT_CIRCUIT_SETTINGS);
    // Unset sub-fields take the schema defaults.
    expect(circuitSettingsFor([named], { model: 'm' }).cooldown_ms).toBe(30_000);
  });
});

describe('assessEndpoint (the health check)', () => {
  const S: CircuitSettings = {
    failure_threshold: 3,
    error_rate_threshold: 0.5,
    min_requests: 4,
    window_ms: 30_000,
    cooldown_ms: 20_000,
  };
  const facts = (f: Partial<HealthFacts>): HealthFacts => ({
    consecutive_failures: 0,
    requests: 0,
    failures: 0,
    marks: [],
    ...f,
  });
  const probe = (ok: boolean, at: number) => ({
    ok,
    latency_ms: 7,
    detail: ok ? 'HTTP 200' : 'connection refused',
    at,
  });
  const prior = (f: Partial<EndpointHealth> = {}): EndpointHealth => ({
    endpoint: 'e',
    status: 'up',
    checked_at: 0,
    circuit: 'closed',
    ...f,
  });

  it('a good probe: up, latency, measured-at, closed', () => {
    const a = assessEndpoint('e', prior(), facts({}), probe(true, 100), S);
    expect(a.health).toMatchObject({
      endpoint: 'e',
      status: 'up',
      checked_at: 100,
      latency_ms: 7,
      circuit: 'closed',
      reason: 'HTTP 200',
    });
    expect(a.transition).toBeUndefined();
  });

  it('a failed probe: down with the probe detail', () => {
    const a = assessEndpoint('e', prior(), facts({ consecutive_failures: 1 }), probe(false, 100), S);
    expect(a.health).toMatchObject({ status: 'down', reason: 'connection refused', circuit: 'closed' });
  });

  it('opens on consecutive failures (probes and passive outcomes together)', () => {
    const a = assessEndpoint('e', prior(), facts({ consecutive_failures: 3 }), probe(false, 100), S);
    expect(a.health).toMatchObject({ circuit: 'open', circuit_opened_at: 100 });
    expect(a.circuit_reason).toBe('3 consecutive failures (threshold 3)');
    expect(a.health.reason).toBe(a.circuit_reason);
    expect(a.transition).toEqual({ from: 'closed', to: 'open' });
  });

  it('opens on the windowed error rate, and reports degraded status and the rate', () => {
    const marks = [{ at: 0, requests: 10, failures: 0 }];
    const a = assessEndpoint(
      'e',
      prior(),
      facts({ requests: 20, failures: 6, marks }),
      probe(true, 30_000),
      S,
    );
    expect(a.health.error_rate).toBeCloseTo(0.6);
    expect(a.window).toEqual({ requests: 10, failures: 6, ms: 30_000 });
    expect(a.health.circuit).toBe('open');
    expect(a.health.status).toBe('degraded');
  });

  it('stays open during the cooldown; after it the probe is the trial', () => {
    const open = prior({ circuit: 'open', circuit_opened_at: 1_000 });
    const during = assessEndpoint('e', open, facts({ circuit_reason: 'x' }), probe(true, 10_000), S);
    expect(during.health).toMatchObject({ circuit: 'open', circuit_opened_at: 1_000, status: 'up' });
    const failed = assessEndpoint('e', open, facts({ circuit_reason: 'x' }), probe(false, 30_000), S);
    expect(failed.health).toMatchObject({ circuit: 'open', circuit_opened_at: 30_000 });
    expect(failed.circuit_reason).toBe('probe after cooldown failed: connection refused');
    const ok = assessEndpoint(
      'e',
      open,
      facts({
        requests: 50,
        failures: 40,
        circuit_reason: 'x',
        marks: [{ at: 0, requests: 0, failures: 0 }],
      }),
      probe(true, 30_000),
      S,
    );
    expect(ok.health.circuit).toBe('closed');
    expect(ok.health.circuit_opened_at).toBeUndefined();
    expect(ok.circuit_reason).toBe('closed after a successful probe (was open: x)');
    expect(ok.transition).toEqual({ from: 'open', to: 'closed' });
    // The error-rate window restarts with the closed circuit.
    expect(ok.marks).toEqual([{ at: 30_000, requests: 50, failures: 40 }]);
  });
});
