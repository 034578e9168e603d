// Rollout gates at their edges, with literal verdicts, ratios and reasons: min_requests for the
// candidate and for stable (below it, stable's own p95 is not trusted and the earlier step's
// reference is used), the early breach, the extensions, the error-rate cap and the p95 ratio at
// exactly their values, and the latency floor.
import { describe, expect, it } from 'vitest';
import type { GateInput, RolloutGates, VersionWindow } from '../../../layers/core/src/index.ts';
import {
  emptyHistogram,
  evaluateGates,
  latencyBucket,
  sumCounters,
  versionWindow,
} from '../../../layers/core/src/index.ts';

const gates: RolloutGates = { max_error_rate: 0.1, max_p95_latency_ratio: 1.5, min_requests: 10 };
const win = (requests: number, failures: number, p95_ms?: number): VersionWindow => ({
  requests,
  failures,
  error_rate: requests > 0 ? failures / requests : 0,
  ...(p95_ms !== undefined ? { p95_ms } : {}),
});
const gate = (over: Partial<GateInput>) =>
  evaluateGates({
    at: 7,
    candidate: win(20, 0, 100),
    stable: win(200, 0, 100),
    gates,
    extensions: 0,
    maxExtensions: 3,
    ...over,
  });

describe('candidate traffic', () => {
  it('waits one request short of min_requests, evaluates at exactly min_requests', () => {
    const short = gate({ candidate: win(9, 0, 100) });
    expect(short.verdict).toBe('wait');
    expect(short.reason).toBe('waiting for traffic: 9 of 10 candidate requests');
    expect(gate({ candidate: win(10, 0, 100) }).verdict).toBe('pass');
  });

  it('breaches early only when failures exceed max_error_rate x min_requests (1 tolerated of 10)', () => {
    expect(gate({ candidate: win(3, 1) }).verdict).toBe('wait');
    const two = gate({ candidate: win(3, 2) });
    expect(two.verdict).toBe('breach');
    expect(two.reason).toBe(
      'error rate: 2 of the first 3 candidate requests failed, over 10% of min_requests 10',
    );
  });

  it('waits while extensions < maxExtensions, breaches at exactly maxExtensions', () => {
    expect(gate({ candidate: win(3, 0), extensions: 2 }).verdict).toBe('wait');
    const out = gate({ candidate: win(3, 0), extensions: 3 });
    expect(out.verdict).toBe('breach');
    expect(out.reason).toBe(
      'insufficient traffic: 3 candidate requests after 3 extra waits (min_requests 10)',
    );
  });
});

describe('error rate', () => {
  it('passes at exactly max_error_rate (2 of 20 = 10%), breaches above it (3 of 20)', () => {
    expect(gate({ candidate: win(20, 2, 100) }).verdict).toBe('pass');
    const over = gate({ candidate: win(20, 3, 100), stable: win(200, 2, 100) });
    expect(over.verdict).toBe('breach');
    expect(over.reason).toBe('error rate: candidate 15% (3/20) over max 10%; stable 1%');
  });
});

describe('p95 against stable', () => {
  it('passes at exactly the max ratio (150 vs 100 = 1.5x), breaches just above it', () => {
    const at = gate({ candidate: win(20, 0, 150) });
    expect(at).toMatchObject({ verdict: 'pass', p95_ratio: 1.5, stable_p95_reference_ms: 100 });
    expect(at.reason).toBe('error rate 0% within 10%; p95 ratio 1.50x within 1.5x');
    const over = gate({ candidate: win(20, 0, 151) });
    expect(over).toMatchObject({ verdict: 'breach', p95_ratio: 1.51 });
    expect(over.reason).toBe('p95 latency: candidate 151 ms is 1.51x stable 100 ms, over max 1.5x');
  });

  it('stable below min_requests: its own p95 is ignored and the earlier reference is used', () => {
    // Stable's 9 requests say 100 ms, the reference says 300 ms: 200 / 300, a pass.
    const e = gate({ candidate: win(20, 0, 200), stable: win(9, 0, 100), stableReferenceP95: 300 });
    expect(e.verdict).toBe('pass');
    expect(e.stable_p95_reference_ms).toBe(300);
    expect(e.p95_ratio).toBeCloseTo(0.666_666_666_67, 10);
  });

  it('stable at exactly min_requests: its own p95 counts, even with a reference', () => {
    const e = gate({ candidate: win(20, 0, 200), stable: win(10, 0, 100), stableReferenceP95: 300 });
    expect(e).toMatchObject({ verdict: 'breach', p95_ratio: 2, stable_p95_reference_ms: 100 });
  });

  it('stable below min_requests and no reference: passes on the error rate alone', () => {
    const e = gate({ candidate: win(20, 0, 900), stable: win(9, 0, 100) });
    expect(e.verdict).toBe('pass');
    // Absent, not `undefined`: the evaluation is stored as it is (DynamoDB refuses undefined values).
    expect(e).not.toHaveProperty('stable_p95_reference_ms');
    expect(e).not.toHaveProperty('p95_ratio');
    expect(e.reason).toBe('error rate 0% within 10%; no stable latency to compare with');
  });

  it('stable with traffic but no latency samples falls back to the reference', () => {
    const e = gate({ candidate: win(20, 0, 200), stable: win(50, 0), stableReferenceP95: 100 });
    expect(e).toMatchObject({ verdict: 'breach', p95_ratio: 2, stable_p95_reference_ms: 100 });
  });

  it('a candidate without latency samples passes, keeping the reference it would have used', () => {
    const e = gate({ candidate: win(20, 0), stable: win(50, 0, 80) });
    expect(e).toMatchObject({ verdict: 'pass', stable_p95_reference_ms: 80 });
    expect(e.p95_ratio).toBeUndefined();
  });

  it('floors both sides at 10 ms: 15 vs 2 ms is 1.5x (pass), 16 vs 2 ms is 1.6x (breach)', () => {
    expect(gate({ candidate: win(20, 0, 15), stable: win(50, 0, 2) })).toMatchObject({
      verdict: 'pass',
      p95_ratio: 1.5,
    });
    expect(gate({ candidate: win(20, 0, 16), stable: win(50, 0, 2) })).toMatchObject({
      verdict: 'breach',
      p95_ratio: 1.6,
    });
    expect(gate({ candidate: win(20, 0, 30), stable: win(50, 0, 20) }).p95_ratio).toBe(1.5);
  });

  it('carries the time and both windows into the evaluation', () => {
    const e = gate({});
    expect(e.at).toBe(7);
    expect(e.candidate).toEqual(win(20, 0, 100));
    expect(e.stable).toEqual(win(200, 0, 100));
  });
});

describe('version windows by hand', () => {
  const hist = (latencies: number[]) => {
    const h = emptyHistogram();
    for (const l of latencies) h[latencyBucket(l)] = (h[latencyBucket(l)] ?? 0) + 1;
    return h;
  };

  it('sums sources and subtracts the base', () => {
    const now = sumCounters([
      { requests: 30, failures: 3, hist: hist([40, 40]) },
      { requests: 10, failures: 1, hist: hist([40]) },
    ]);
    expect(now.requests).toBe(40);
    expect(now.failures).toBe(4);
    expect(now.hist[latencyBucket(40)]).toBe(3);
    const w = versionWindow(now, { requests: 20, failures: 2, hist: hist([40]) });
    // Two samples in the (35, 50] ms bucket: the 95th percentile is 95% of the way through it.
    expect(w).toEqual({ requests: 20, failures: 2, error_rate: 0.1, p95_ms: 49.25 });
  });

  it('without a base: everything; counters that went backwards: from zero', () => {
    expect(versionWindow({ requests: 8, failures: 2, hist: hist([]) }, undefined)).toStrictEqual({
      requests: 8,
      failures: 2,
      error_rate: 0.25,
    });
    expect(
      versionWindow(
        { requests: 5, failures: 1, hist: hist([100]) },
        { requests: 50, failures: 0, hist: hist([]) },
      ),
    ).toEqual({ requests: 5, failures: 1, error_rate: 0.2, p95_ms: 98.75 });
    // Failures never exceed requests, never go below zero.
    expect(
      versionWindow(
        { requests: 12, failures: 9, hist: hist([]) },
        { requests: 10, failures: 1, hist: hist([]) },
      ),
    ).toMatchObject({ requests: 2, failures: 2, error_rate: 1 });
    expect(
      versionWindow(
        { requests: 12, failures: 0, hist: hist([]) },
        { requests: 10, failures: 3, hist: hist([]) },
      ),
    ).toMatchObject({ requests: 2, failures: 0, error_rate: 0 });
    expect(
      versionWindow(
        { requests: 10, failures: 0, hist: hist([]) },
        { requests: 10, failures: 0, hist: hist([]) },
      ),
    ).toEqual({ requests: 0, failures: 0, error_rate: 0 });
  });
});
