// Rollout logic in the core: the request schema, version windows from cumulative counters, the
// gate verdicts, and the canary edits.
import { describe, expect, it } from 'vitest';
import type { GateInput, RolloutGates, VersionCounters } from '../../../layers/core/src/index.ts';
import {
  emptyHistogram,
  evaluateGates,
  latencyBucket,
  PolicySchema,
  promotedCanary,
  RolloutRequestSchema,
  rolledBackCanary,
  stepCanary,
  sumCounters,
  versionWindow,
  withCanary,
} from '../../../layers/core/src/index.ts';

const gates: RolloutGates = { max_error_rate: 0.1, max_p95_latency_ratio: 1.5, min_requests: 10 };
const input = (over: Partial<GateInput>): GateInput => ({
  at: 1,
  candidate: { requests: 20, failures: 0, error_rate: 0, p95_ms: 100 },
  stable: { requests: 200, failures: 0, error_rate: 0, p95_ms: 100 },
  gates,
  extensions: 0,
  maxExtensions: 3,
  ...over,
});

describe('rollout request', () => {
  it('fills the defaults', () => {
    const r = RolloutRequestSchema.parse({ policy: 'p', model: 'm', stable: 'v1', candidate: 'v2' });
    expect(r).toMatchObject({
      steps: [5, 25, 50, 100],
      wait_seconds: 300,
      gates: { max_error_rate: 0.05, max_p95_latency_ratio: 1.5, min_requests: 20 },
      max_extensions: 12,
    });
  });

  it('names the bad field', () => {
    const bad = (body: Record<string, unknown>) => {
      const parsed = RolloutRequestSchema.safeParse({
        policy: 'p',
        model: 'm',
        stable: 'v1',
        candidate: 'v2',
        ...body,
      });
      return parsed.success ? undefined : parsed.error.issues[0]?.path.join('.');
    };
    expect(bad({ steps: [25, 5] })).toBe('steps');
    expect(bad({ steps: [0] })).toBe('steps.0');
    expect(bad({ candidate: 'v1' })).toBe('candidate');
    expect(bad({ gates: { max_error_rate: 2 } })).toBe('gates.max_error_rate');
    expect(bad({ extra: 1 })).toBe('');
    expect(bad({ wait_seconds: 86_400, max_extensions: 10 })).toBe('max_extensions');
  });
});

describe('version windows', () => {
  const counters = (requests: number, failures: number, latencies: number[]): VersionCounters => {
    const hist = emptyHistogram();
    for (const l of latencies) hist[latencyBucket(l)] = (hist[latencyBucket(l)] ?? 0) + 1;
    return { requests, failures, hist };
  };
  it('sums endpoints and takes the difference from the baseline', () => {
    const now = sumCounters([counters(30, 3, [40, 40]), counters(10, 1, [40])]);
    const base = counters(20, 2, [40]);
    const w = versionWindow(now, base);
    expect(w).toMatchObject({ requests: 20, failures: 2, error_rate: 0.1 });
    expect(w.p95_ms).toBeGreaterThan(35);
    expect(w.p95_ms).toBeLessThanOrEqual(50);
  });
  it('treats counters that went backwards as restarted', () => {
    expect(versionWindow(counters(5, 1, []), counters(50, 0, []))).toMatchObject({
      requests: 5,
      failures: 1,
    });
  });
});

describe('gates', () => {
  it('passes within the error rate and latency ratio', () => {
    const e = evaluateGates(input({}));
    expect(e.verdict).toBe('pass');
    expect(e.p95_ratio).toBe(1);
  });

  it('waits for min_requests, then breaches for want of traffic after max extensions', () => {
    const few = { requests: 3, failures: 0, error_rate: 0 };
    expect(evaluateGates(input({ candidate: few })).verdict).toBe('wait');
    const out = evaluateGates(input({ candidate: few, extensions: 3 }));
    expect(out.verdict).toBe('breach');
    expect(out.reason).toMatch(/^insufficient traffic/);
  });

  it('breaches early when failures already exceed what min_requests tolerates', () => {
    const e = evaluateGates(input({ candidate: { requests: 3, failures: 2, error_rate: 2 / 3 } }));
    expect(e.verdict).toBe('breach');
    expect(e.reason).toMatch(/^error rate: 2 of the first 3/);
  });

  it('breaches over the max error rate', () => {
    const e = evaluateGates(input({ candidate: { requests: 20, failures: 3, error_rate: 0.15 } }));
    expect(e.verdict).toBe('breach');
    expect(e.reason).toMatch(/^error rate: candidate 15%/);
  });

  it('breaches over the p95 ratio vs stable; uses the reference when stable had too little traffic', () => {
    const slow = { requests: 20, failures: 0, error_rate: 0, p95_ms: 200 };
    const e = evaluateGates(input({ candidate: slow }));
    expect(e.verdict).toBe('breach');
    expect(e.p95_ratio).toBe(2);
    const noStable = { requests: 0, failures: 0, error_rate: 0 };
    expect(evaluateGates(input({ candidate: slow, stable: noStable, stableReferenceP95: 180 })).verdict).toBe(
      'pass',
    );
    const none = evaluateGates(input({ candidate: slow, stable: noStable }));
    expect(none.verdict).toBe('pass');
    expect(none.reason).toContain('no stable latency');
  });

  it('floors tiny latencies so noise does not breach', () => {
    const e = evaluateGates(
      input({
        candidate: { requests: 20, failures: 0, error_rate: 0, p95_ms: 6 },
        stable: { requests: 50, failures: 0, error_rate: 0, p95_ms: 2 },
      }),
    );
    expect(e.verdict).toBe('pass');
  });
});

describe('canary edits', () => {
  const policy = PolicySchema.parse({
    name: 'p',
    canary: [
      { model: 'other', stable: 'a' },
      { model: 'm', stable: 'v1' },
    ],
  });
  it('replaces only the managed entry', () => {
    const p = withCanary(policy, stepCanary('m', 'v1', 'v2', 25));
    expect(p.canary).toEqual([
      { model: 'other', stable: 'a', weight: 0 },
      { model: 'm', stable: 'v1', candidate: 'v2', weight: 0.25 },
    ]);
    expect(withCanary(p, promotedCanary('m', 'v2')).canary[1]).toEqual({
      model: 'm',
      stable: 'v2',
      weight: 0,
    });
    expect(withCanary(p, rolledBackCanary('m', 'v1', 'v2')).canary[1]).toEqual({
      model: 'm',
      stable: 'v1',
      candidate: 'v2',
      weight: 0,
    });
  });
});
