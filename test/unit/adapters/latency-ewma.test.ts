import { foldLatencyEwma, nextLatencyEwma, summariseOutcomes } from '@switchyard/adapters';
import { describe, expect, it } from 'vitest';

describe('latency EWMA', () => {
  it('starts at the first sample, then moves by alpha 0.3 towards each sample', () => {
    const first = nextLatencyEwma({}, 100);
    expect(first).toEqual({ latency_ewma_ms: 100, latency_peak_ewma_ms: 100 });
    const second = nextLatencyEwma(first, 200);
    expect(second.latency_ewma_ms).toBeCloseTo(130);
  });

  it('peak-EWMA jumps up to a slower sample and decays slowly (alpha 0.1) towards faster ones', () => {
    const slow = nextLatencyEwma({ latency_ewma_ms: 100, latency_peak_ewma_ms: 100 }, 1_000);
    expect(slow.latency_peak_ewma_ms).toBe(1_000);
    expect(slow.latency_ewma_ms).toBeCloseTo(370);
    const fast = nextLatencyEwma(slow, 100);
    expect(fast.latency_peak_ewma_ms).toBeCloseTo(910);
    expect(fast.latency_ewma_ms).toBeCloseTo(289);
  });

  it('folds samples in order', () => {
    expect(foldLatencyEwma({}, [100, 200, 300]).latency_ewma_ms).toBeCloseTo(130 + 0.3 * (300 - 130));
    expect(foldLatencyEwma({ latency_ewma_ms: 5 }, [])).toEqual({ latency_ewma_ms: 5 });
  });

  it('summarises outcomes per endpoint in time order, keeping only successes and timeouts as samples', () => {
    const summaries = summariseOutcomes([
      { endpoint: 'a', ok: true, latency_ms: 30, at: 3 },
      { endpoint: 'b', ok: false, latency_ms: 2, at: 1, failure: 'connection' },
      { endpoint: 'a', ok: false, latency_ms: 900, at: 2, failure: 'timeout' },
      { endpoint: 'a', ok: true, latency_ms: 10, at: 1 },
      { endpoint: 'a', ok: false, latency_ms: 1, at: 4, failure: 'server' },
    ]);
    expect(summaries).toEqual([
      {
        endpoint: 'b',
        requests: 1,
        failures: 1,
        latencySamplesMs: [],
        buckets: new Map(),
        ttftSamplesMs: [],
        ttftBuckets: new Map(),
        trailingFailures: 1,
        anySuccess: false,
        lastAt: 1,
      },
      {
        endpoint: 'a',
        requests: 4,
        failures: 2,
        latencySamplesMs: [10, 900, 30],
        // 10 ms -> bucket 1 (<= 10), 900 ms -> 12 (<= 1000), 30 ms -> 3 (<= 35)
        buckets: new Map([
          [1, 1],
          [12, 1],
          [3, 1],
        ]),
        ttftSamplesMs: [],
        ttftBuckets: new Map(),
        // time order: 10 ok, 900 timeout, 30 ok, 1 server error: one failure after the last success
        trailingFailures: 1,
        anySuccess: true,
        lastAt: 4,
      },
    ]);
  });

  it("keeps streamed successes' times to first token apart; a failed stream's is no sample", () => {
    const [a] = summariseOutcomes([
      { endpoint: 'a', ok: true, latency_ms: 800, ttft_ms: 50, at: 2 },
      { endpoint: 'a', ok: false, latency_ms: 300, ttft_ms: 5, at: 3, failure: 'connection' },
      { endpoint: 'a', ok: true, latency_ms: 900, ttft_ms: 20, at: 1 },
    ]);
    expect(a?.ttftSamplesMs).toEqual([20, 50]);
    // 20 ms -> bucket 2 (<= 20), 50 ms -> bucket 4 (<= 50): the boundaries are inclusive.
    expect(a?.ttftBuckets).toEqual(
      new Map([
        [2, 1],
        [4, 1],
      ]),
    );
    expect(a?.latencySamplesMs).toEqual([900, 800]);
  });
});
