// An in-memory health store for service-level tests: the HealthStore port the router uses
// (snapshot, put, recordOutcomes) and what the health check needs (recordProbe, record,
// writeAssessment), with the same folding as DynamoDbHealthStore (summariseOutcomes, the
// latency EWMAs, cumulative counters, the consecutive-failure rule), so outcomes take the real
// path from the router through the health check's assessment into the shared circuit.
import type { HealthRecord, ProbeOutcome } from '@switchyard/adapters';
import { foldLatencyEwma, summariseOutcomes } from '@switchyard/adapters';
import type {
  Assessment,
  EndpointHealth,
  HealthSnapshot,
  HealthStore,
  InflightReport,
  Outcome,
} from '@switchyard/core';
import { LATENCY_BUCKET_COUNT } from '@switchyard/core';

export class MemoryHealthStore implements HealthStore {
  readonly #records = new Map<string, HealthRecord>();
  /** The latest in-flight report of each router container (never stale here: no clock). */
  readonly #reports = new Map<string, InflightReport>();

  async snapshot(): Promise<HealthSnapshot> {
    const endpoints: Record<string, EndpointHealth> = {};
    for (const [id, r] of this.#records) endpoints[id] = { ...r.health };
    for (const report of this.#reports.values()) {
      for (const [id, n] of Object.entries(report.inflight)) {
        const h = endpoints[id];
        if (h) h.inflight = (h.inflight ?? 0) + n;
      }
    }
    return this.#reports.size > 0
      ? { endpoints, inflight_reports: [...this.#reports.values()] }
      : { endpoints };
  }

  async reportInflight(report: InflightReport): Promise<void> {
    if (Object.values(report.inflight).some((n) => n > 0)) this.#reports.set(report.router, report);
    else this.#reports.delete(report.router);
  }

  async put(health: EndpointHealth): Promise<void> {
    const r = this.#get(health.endpoint);
    const next: Record<string, unknown> = { ...r.health };
    for (const [k, v] of Object.entries(health)) if (v !== undefined) next[k] = v;
    if (health.reason === undefined) delete next.reason;
    if (health.circuit === 'closed') delete next.circuit_opened_at;
    r.health = next as unknown as EndpointHealth;
  }

  async recordOutcomes(outcomes: readonly Outcome[]): Promise<void> {
    for (const s of summariseOutcomes(outcomes)) {
      const r = this.#get(s.endpoint);
      r.requests += s.requests;
      r.failures += s.failures;
      r.consecutive_failures = s.anySuccess ? s.trailingFailures : r.consecutive_failures + s.failures;
      for (const [bucket, n] of s.buckets) r.hist[bucket] = (r.hist[bucket] ?? 0) + n;
      this.#fold(r, s.latencySamplesMs);
      r.last_outcome_at = s.lastAt;
    }
  }

  async recordProbe(probe: ProbeOutcome): Promise<void> {
    const r = this.#get(probe.endpoint);
    r.probe_requests++;
    if (probe.ok) {
      r.consecutive_failures = 0;
      this.#fold(r, [probe.latency_ms]);
    } else {
      r.probe_failures++;
      r.consecutive_failures++;
    }
  }

  async record(endpoint: string): Promise<HealthRecord | undefined> {
    const r = this.#records.get(endpoint);
    return r ? structuredClone(r) : undefined;
  }

  async writeAssessment(assessment: Assessment, probeDetail: string): Promise<void> {
    await this.put(assessment.health);
    const r = this.#get(assessment.health.endpoint);
    r.marks = assessment.marks;
    if (assessment.circuit_reason === undefined) delete r.circuit_reason;
    else r.circuit_reason = assessment.circuit_reason;
    r.probe_detail = probeDetail;
    r.window_requests = assessment.window.requests;
    r.window_failures = assessment.window.failures;
  }

  /** Everything stored, for comparing two worlds. */
  dump(): HealthRecord[] {
    return [...this.#records.values()].map((r) => structuredClone(r));
  }

  #fold(r: HealthRecord, samples: number[]): void {
    if (samples.length === 0) return;
    const next = foldLatencyEwma(
      {
        ...(r.health.latency_ewma_ms !== undefined ? { latency_ewma_ms: r.health.latency_ewma_ms } : {}),
        ...(r.health.latency_peak_ewma_ms !== undefined
          ? { latency_peak_ewma_ms: r.health.latency_peak_ewma_ms }
          : {}),
      },
      samples,
    );
    r.health = { ...r.health, ...next };
  }

  #get(endpoint: string): HealthRecord {
    let r = this.#records.get(endpoint);
    if (!r) {
      r = {
        health: { endpoint, status: 'unknown', checked_at: 0, circuit: 'closed' },
        requests: 0,
        failures: 0,
        hist: Array.from({ length: LATENCY_BUCKET_COUNT }, () => 0),
        probe_requests: 0,
        probe_failures: 0,
        consecutive_failures: 0,
        marks: [],
      };
      this.#records.set(endpoint, r);
    }
    return r;
  }
}
