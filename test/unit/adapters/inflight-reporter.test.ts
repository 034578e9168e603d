// The in-flight reporter under fake timers: a change is reported at once when none went out for
// `intervalMs`, else when the interval is up (one report for a burst); standing counts are
// reported again every `heartbeatMs`; the drop to zero is reported once (removing the share);
// nothing is written while idle; a failed write is tried again; one write at a time.
import type { InflightReport } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InflightTracker } from '../../../functions/router/inflight-tracker.ts';
import { InflightReporter } from '../../../layers/adapters/src/index.ts';

const T0 = 1_700_000_000_000;

function setup(sink?: (r: InflightReport) => Promise<void>) {
  const reports: Array<InflightReport & { t: number }> = [];
  let reporter: InflightReporter | undefined;
  const tracker = new InflightTracker('r1', () => reporter?.changed());
  reporter = new InflightReporter({
    router: 'r1',
    source: tracker,
    sink:
      sink ??
      (async (r) => {
        reports.push({ ...r, inflight: { ...r.inflight }, t: Date.now() - T0 });
      }),
    intervalMs: 1000,
    heartbeatMs: 4000,
    now: Date.now,
  });
  return { tracker, reporter, reports };
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('InflightReporter', () => {
  it('reports the first change at once, then at most once per interval', async () => {
    const { tracker, reports } = setup();
    const release = tracker.acquire('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(reports.map((r) => [r.t, r.inflight])).toEqual([[0, { a: 1 }]]);
    tracker.acquire('a');
    tracker.acquire('b');
    await vi.advanceTimersByTimeAsync(999);
    expect(reports).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(reports.map((r) => [r.t, r.inflight])).toEqual([
      [0, { a: 1 }],
      [1000, { a: 2, b: 1 }],
    ]);
    expect(reports[1]).toMatchObject({ router: 'r1', at: T0 + 1000 });
    release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reports.at(-1)).toMatchObject({ t: 2000, inflight: { a: 1, b: 1 } });
  });

  it('reports standing counts again every heartbeat, and the drop to zero once', async () => {
    const { tracker, reports } = setup();
    const release = tracker.acquire('a');
    await vi.advanceTimersByTimeAsync(3999);
    expect(reports.map((r) => r.t)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(reports.map((r) => r.t)).toEqual([0, 4000]);
    await vi.advanceTimersByTimeAsync(4000);
    expect(reports.map((r) => r.t)).toEqual([0, 4000, 8000]);
    // The drop to zero right after a report goes out one interval later.
    release();
    await vi.advanceTimersByTimeAsync(999);
    expect(reports).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(reports.at(-1)).toEqual({ router: 'r1', at: T0 + 9000, inflight: {}, t: 9000 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reports).toHaveLength(4);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('writes nothing for changes that net to nothing before anything was reported', async () => {
    const { tracker, reports } = setup();
    tracker.acquire('a')();
    await vi.advanceTimersByTimeAsync(0);
    // The acquire was reported at once, the release at the interval.
    expect(reports.map((r) => [r.t, r.inflight])).toEqual([[0, { a: 1 }]]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reports.map((r) => [r.t, r.inflight])).toEqual([
      [0, { a: 1 }],
      [1000, {}],
    ]);
    // Idle now: an acquire and release inside one interval writes nothing more.
    await vi.advanceTimersByTimeAsync(5000);
    const quiet = setup();
    quiet.tracker.acquire('a');
    quiet.tracker.acquire('b');
    await vi.advanceTimersByTimeAsync(0);
    expect(quiet.reports).toHaveLength(1);
  });

  it('tries a failed write again at the next interval, one write at a time', async () => {
    let fail = true;
    let writing = 0;
    let most = 0;
    const written: Array<Record<string, number>> = [];
    const { tracker } = setup(async (r) => {
      writing++;
      most = Math.max(most, writing);
      await new Promise((resolve) => setTimeout(resolve, 10));
      writing--;
      if (fail) throw new Error('throttled');
      written.push({ ...r.inflight });
    });
    tracker.acquire('a');
    await vi.advanceTimersByTimeAsync(500);
    tracker.acquire('a');
    expect(written).toEqual([]);
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(written).toEqual([{ a: 2 }]);
    expect(most).toBe(1);
  });
});
