// Latency figures from observations, as pure functions: an EWMA (alpha 0.3) and a peak-EWMA that
// jumps to a slower sample at once and decays towards faster ones slowly (what power-of-two-
// choices wants), and a fixed-bucket latency histogram whose cumulative counters can be added
// atomically in a table, subtracted to get a window, summed across endpoints and read as p95.

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

/**
 * Upper bounds (ms, inclusive) of the histogram buckets; one more bucket holds everything slower
 * than the last bound, so a histogram has `LATENCY_BUCKETS_MS.length + 1` counters.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  5, 10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 8000, 13_000, 20_000,
  30_000,
];
export const LATENCY_BUCKET_COUNT = LATENCY_BUCKETS_MS.length + 1;

/** The bucket a latency falls in. */
export function latencyBucket(ms: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) if (ms <= (LATENCY_BUCKETS_MS[i] as number)) return i;
  return LATENCY_BUCKETS_MS.length;
}

/** An empty histogram. */
export const emptyHistogram = (): number[] => new Array<number>(LATENCY_BUCKET_COUNT).fill(0);

/** `now - base` per bucket, never below 0 (a counter that was reset counts from 0). */
export function histogramDiff(now: readonly number[], base: readonly number[] | undefined): number[] {
  return emptyHistogram().map((_, i) => Math.max(0, (now[i] ?? 0) - (base?.[i] ?? 0)));
}

/** Bucket-wise sum. */
export function histogramSum(histograms: ReadonlyArray<readonly number[]>): number[] {
  const out = emptyHistogram();
  for (const h of histograms) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (h[i] ?? 0);
  return out;
}

/**
 * The `q` quantile (0..1) of a histogram, interpolated linearly inside its bucket (the overflow
 * bucket reads as the last bound); undefined when the histogram is empty.
 */
export function histogramQuantile(counts: readonly number[], q: number): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return undefined;
  const rank = Math.min(1, Math.max(0, q)) * total;
  let seen = 0;
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) {
    const n = counts[i] ?? 0;
    if (n > 0 && seen + n >= rank) {
      const lower = i === 0 ? 0 : (LATENCY_BUCKETS_MS[i - 1] as number);
      const upper = LATENCY_BUCKETS_MS[i] ?? lower;
      return lower + (upper - lower) * Math.max(0, Math.min(1, (rank - seen) / n));
    }
    seen += n;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1];
}
