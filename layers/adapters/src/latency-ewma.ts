// Latency smoothing from passive outcomes, as pure functions (a later change may move them to
// the core): an EWMA (alpha 0.3) and a peak-EWMA that jumps to a slower sample at once and
// decays towards faster ones slowly, which is what power-of-two-choices wants.
import type { Outcome } from '@switchyard/core';

export const LATENCY_EWMA_ALPHA = 0.3;
export const LATENCY_PEAK_DECAY_ALPHA = 0.1;

export interface LatencyEwma {
  latency_ewma_ms?: number;
  latency_peak_ewma_ms?: number;
}

export interface LatencyEwmaOptions {
  alpha?: number;
  peakDecayAlpha?: number;
}

/** Folds one latency sample into the EWMA and the peak-EWMA. */
export function nextLatencyEwma(
  prev: LatencyEwma,
  sampleMs: number,
  options: LatencyEwmaOptions = {},
): Required<LatencyEwma> {
  const alpha = options.alpha ?? LATENCY_EWMA_ALPHA;
  const decay = options.peakDecayAlpha ?? LATENCY_PEAK_DECAY_ALPHA;
  const ewma = prev.latency_ewma_ms;
  const peak = prev.latency_peak_ewma_ms;
  return {
    latency_ewma_ms: ewma === undefined ? sampleMs : ewma + alpha * (sampleMs - ewma),
    latency_peak_ewma_ms:
      peak === undefined || sampleMs >= peak ? sampleMs : peak + decay * (sampleMs - peak),
  };
}

/** Folds samples in order. */
export function foldLatencyEwma(
  prev: LatencyEwma,
  samplesMs: readonly number[],
  options: LatencyEwmaOptions = {},
): LatencyEwma {
  return samplesMs.reduce<LatencyEwma>((acc, sample) => nextLatencyEwma(acc, sample, options), prev);
}

export interface OutcomeSummary {
  endpoint: string;
  requests: number;
  failures: number;
  /**
   * Latencies that say how fast the endpoint is, in time order: successes and timeouts. Fast
   * failures (refused, 5xx) are left out so a broken endpoint does not look quick.
   */
  latencySamplesMs: number[];
  lastAt: number;
}

/** Groups outcomes per endpoint. */
export function summariseOutcomes(outcomes: readonly Outcome[]): OutcomeSummary[] {
  const byEndpoint = new Map<string, OutcomeSummary>();
  const ordered = [...outcomes].sort((a, b) => a.at - b.at);
  for (const o of ordered) {
    let s = byEndpoint.get(o.endpoint);
    if (!s) {
      s = { endpoint: o.endpoint, requests: 0, failures: 0, latencySamplesMs: [], lastAt: o.at };
      byEndpoint.set(o.endpoint, s);
    }
    s.requests++;
    if (!o.ok) s.failures++;
    if (o.ok || o.failure === 'timeout') s.latencySamplesMs.push(o.latency_ms);
    s.lastAt = Math.max(s.lastAt, o.at);
  }
  return [...byEndpoint.values()];
}
