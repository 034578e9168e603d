// A rollout step's gates, pure: the candidate's and stable's figures over the step's window (from
// the cumulative passive counters at the step's start and now) and the verdict: pass, wait for
// more traffic, or breach.
import { histogramDiff, histogramQuantile, histogramSum } from '../health/latency.ts';
import type { GateEvaluation, RolloutGates, VersionCounters, VersionWindow } from './rollout.schema.ts';

/** Latencies below this count as this in the p95 ratio (a 2 ms vs 6 ms difference is noise). */
export const GATE_LATENCY_FLOOR_MS = 10;

export interface CounterSource {
  requests: number;
  failures: number;
  hist: readonly number[];
}

/** Sums the counters of a version's endpoints. */
export function sumCounters(sources: readonly CounterSource[]): VersionCounters {
  return {
    requests: sources.reduce((a, s) => a + s.requests, 0),
    failures: sources.reduce((a, s) => a + s.failures, 0),
    hist: histogramSum(sources.map((s) => s.hist)),
  };
}

/** A version's figures between `base` and `now` (counters that went backwards count from zero). */
export function versionWindow(now: VersionCounters, base: VersionCounters | undefined): VersionWindow {
  const reset = base !== undefined && now.requests < base.requests;
  const b = reset ? undefined : base;
  const requests = now.requests - (b?.requests ?? 0);
  const failures = Math.min(requests, Math.max(0, now.failures - (b?.failures ?? 0)));
  const p95 = histogramQuantile(histogramDiff(now.hist, b?.hist), 0.95);
  return {
    requests,
    failures,
    error_rate: requests > 0 ? failures / requests : 0,
    ...(p95 !== undefined ? { p95_ms: p95 } : {}),
  };
}

export interface GateInput {
  at: number;
  candidate: VersionWindow;
  stable: VersionWindow;
  /** Stable's p95 from an earlier step, used when stable had too little traffic in this one. */
  stableReferenceP95?: number;
  gates: RolloutGates;
  /** Waits already added to this step for want of traffic. */
  extensions: number;
  maxExtensions: number;
}

const pct = (r: number): string => `${Math.round(r * 1000) / 10}%`;
const ms = (v: number): string => `${Math.round(v * 10) / 10} ms`;

/** The verdict on one step's window. */
export function evaluateGates(input: GateInput): GateEvaluation {
  const { candidate, stable, gates, at } = input;
  const base = { at, candidate, stable };
  if (candidate.requests < gates.min_requests) {
    // Failures that already exceed what min_requests could tolerate need not wait for the rest.
    if (candidate.failures > gates.max_error_rate * gates.min_requests) {
      return {
        ...base,
        verdict: 'breach',
        reason: `error rate: ${candidate.failures} of the first ${candidate.requests} candidate requests failed, over ${pct(gates.max_error_rate)} of min_requests ${gates.min_requests}`,
      };
    }
    if (input.extensions >= input.maxExtensions) {
      return {
        ...base,
        verdict: 'breach',
        reason: `insufficient traffic: ${candidate.requests} candidate requests after ${input.extensions} extra waits (min_requests ${gates.min_requests})`,
      };
    }
    return {
      ...base,
      verdict: 'wait',
      reason: `waiting for traffic: ${candidate.requests} of ${gates.min_requests} candidate requests`,
    };
  }
  if (candidate.error_rate > gates.max_error_rate) {
    return {
      ...base,
      verdict: 'breach',
      reason: `error rate: candidate ${pct(candidate.error_rate)} (${candidate.failures}/${candidate.requests}) over max ${pct(gates.max_error_rate)}; stable ${pct(stable.error_rate)}`,
    };
  }
  const stableP95 =
    stable.requests >= gates.min_requests && stable.p95_ms !== undefined
      ? stable.p95_ms
      : input.stableReferenceP95;
  const reference = stableP95 !== undefined ? { stable_p95_reference_ms: stableP95 } : {};
  if (stableP95 === undefined || candidate.p95_ms === undefined) {
    return {
      ...base,
      ...reference,
      verdict: 'pass',
      reason: `error rate ${pct(candidate.error_rate)} within ${pct(gates.max_error_rate)}; no stable latency to compare with`,
    };
  }
  const ratio =
    Math.max(candidate.p95_ms, GATE_LATENCY_FLOOR_MS) / Math.max(stableP95, GATE_LATENCY_FLOOR_MS);
  if (ratio > gates.max_p95_latency_ratio) {
    return {
      ...base,
      ...reference,
      p95_ratio: ratio,
      verdict: 'breach',
      reason: `p95 latency: candidate ${ms(candidate.p95_ms)} is ${ratio.toFixed(2)}x stable ${ms(stableP95)}, over max ${gates.max_p95_latency_ratio}x`,
    };
  }
  return {
    ...base,
    ...reference,
    p95_ratio: ratio,
    verdict: 'pass',
    reason: `error rate ${pct(candidate.error_rate)} within ${pct(gates.max_error_rate)}; p95 ratio ${ratio.toFixed(2)}x within ${gates.max_p95_latency_ratio}x`,
  };
}
