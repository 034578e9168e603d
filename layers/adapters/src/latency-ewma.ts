// Passive outcomes grouped per endpoint for the health table. The latency EWMA math lives in the
// core (health/latency.ts) and is re-exported here for existing importers.
import type { Outcome } from '@switchyard/core';
import { latencyBucket } from '@switchyard/core';

export type { LatencyEwma, LatencyEwmaOptions } from '@switchyard/core';
export {
  foldLatencyEwma,
  LATENCY_EWMA_ALPHA,
  LATENCY_PEAK_DECAY_ALPHA,
  nextLatencyEwma,
} from '@switchyard/core';

export interface OutcomeSummary {
  endpoint: string;
  requests: number;
  failures: number;
  /**
   * Latencies that say how fast the endpoint is, in time order: successes and timeouts. Fast
   * failures (refused, 5xx) are left out so a broken endpoint does not look quick.
   */
  latencySamplesMs: number[];
  /** Histogram bucket counts of `latencySamplesMs` (health/latency.ts buckets), by bucket index. */
  buckets: Map<number, number>;
  /** Times to first token of streamed successes, in time order. */
  ttftSamplesMs: number[];
  /** Histogram bucket counts of `ttftSamplesMs`. */
  ttftBuckets: Map<number, number>;
  /** Failures after the last success, in time order. */
  trailingFailures: number;
  /** Whether any outcome succeeded (then the consecutive-failure count restarts from the trailing ones). */
  anySuccess: boolean;
  lastAt: number;
}

/** Groups outcomes per endpoint. */
export function summariseOutcomes(outcomes: readonly Outcome[]): OutcomeSummary[] {
  const byEndpoint = new Map<string, OutcomeSummary>();
  const ordered = [...outcomes].sort((a, b) => a.at - b.at);
  for (const o of ordered) {
    let s = byEndpoint.get(o.endpoint);
    if (!s) {
      s = {
        endpoint: o.endpoint,
        requests: 0,
        failures: 0,
        latencySamplesMs: [],
        buckets: new Map(),
        ttftSamplesMs: [],
        ttftBuckets: new Map(),
        trailingFailures: 0,
        anySuccess: false,
        lastAt: o.at,
      };
      byEndpoint.set(o.endpoint, s);
    }
    s.requests++;
    if (o.ok) {
      s.anySuccess = true;
      s.trailingFailures = 0;
    } else {
      s.failures++;
      s.trailingFailures++;
    }
    if (o.ok || o.failure === 'timeout') {
      s.latencySamplesMs.push(o.latency_ms);
      const b = latencyBucket(o.latency_ms);
      s.buckets.set(b, (s.buckets.get(b) ?? 0) + 1);
    }
    if (o.ok && o.ttft_ms !== undefined) {
      s.ttftSamplesMs.push(o.ttft_ms);
      const b = latencyBucket(o.ttft_ms);
      s.ttftBuckets.set(b, (s.ttftBuckets.get(b) ?? 0) + 1);
    }
    s.lastAt = Math.max(s.lastAt, o.at);
  }
  return [...byEndpoint.values()];
}
