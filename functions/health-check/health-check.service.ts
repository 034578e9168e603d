// Active health checks over ports. One round probes every endpoint (bounded concurrency, a timeout
// each), records the probe with the passive outcomes' counters, and writes the endpoint's
// assessment (core health/assess.ts): status, latency, windowed error rate and p95, and the shared
// circuit (opened on N consecutive failures or an error rate over its threshold; after the
// cooldown the probe is the half-open trial that closes or re-opens it). `runProbeRounds` repeats
// rounds inside one scheduled invocation (e.g. every 15 s for a minute).
import type { ContextualProber, HealthRecord, ProbeOutcome } from '@switchyard/adapters';
import type { Assessment, Endpoint, ModelRegistry, Registry } from '@switchyard/core';
import { assessEndpoint, circuitSettingsFor } from '@switchyard/core';

/** What the health check needs of the health table (DynamoDbHealthStore). */
export interface HealthCheckStore {
  recordProbe(probe: ProbeOutcome): Promise<void>;
  record(endpoint: string): Promise<HealthRecord | undefined>;
  writeAssessment(assessment: Assessment, probeDetail: string): Promise<void>;
}

export interface HealthCheckDeps {
  registry: Pick<ModelRegistry, 'load'>;
  health: HealthCheckStore;
  prober: ContextualProber;
  now: () => number;
  timeoutMs: number;
  concurrency: number;
  /** Called with each assessment (logging). */
  onAssessment?: (endpoint: Endpoint, assessment: Assessment) => void;
}

export interface RoundSummary {
  probed: number;
  up: number;
  down: number;
  /** Circuits this round opened and closed. */
  opened: string[];
  closed: string[];
}

/** One probe round over every endpoint that is not disabled. */
export async function runHealthChecks(deps: HealthCheckDeps): Promise<RoundSummary> {
  const registry = await deps.registry.load();
  const endpoints = registry.endpoints.filter((e) => e.state !== 'disabled');
  const summary: RoundSummary = { probed: endpoints.length, up: 0, down: 0, opened: [], closed: [] };
  let next = 0;
  const worker = async () => {
    while (next < endpoints.length) {
      const endpoint = endpoints[next++];
      if (!endpoint) break;
      const assessment = await checkEndpoint(deps, registry, endpoint);
      if (assessment.health.status === 'down') summary.down++;
      else summary.up++;
      if (assessment.transition?.to === 'open') summary.opened.push(endpoint.id);
      if (assessment.transition?.to === 'closed') summary.closed.push(endpoint.id);
      deps.onAssessment?.(endpoint, assessment);
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency, endpoints.length) }, worker));
  return summary;
}

async function checkEndpoint(
  deps: HealthCheckDeps,
  registry: Registry,
  endpoint: Endpoint,
): Promise<Assessment> {
  const signal = AbortSignal.timeout(deps.timeoutMs);
  const started = deps.now();
  const tasks = registry.models.find((m) => m.id === endpoint.model && m.version === endpoint.version)?.tasks;
  const result = await deps.prober.probe(endpoint, signal, tasks ? { tasks } : {}).catch((err: unknown) => ({
    ok: false,
    latency_ms: deps.now() - started,
    detail: err instanceof Error ? err.message : String(err),
  }));
  const at = deps.now();
  await deps.health.recordProbe({ endpoint: endpoint.id, ok: result.ok, latency_ms: result.latency_ms, at });
  const record = await deps.health.record(endpoint.id);
  const assessment = assessEndpoint(
    endpoint.id,
    record?.health,
    {
      consecutive_failures: record?.consecutive_failures ?? (result.ok ? 0 : 1),
      requests: (record?.requests ?? 0) + (record?.probe_requests ?? 1),
      failures: (record?.failures ?? 0) + (record?.probe_failures ?? (result.ok ? 0 : 1)),
      hist: record?.hist ?? [],
      marks: record?.marks ?? [],
      ...(record?.circuit_reason !== undefined ? { circuit_reason: record.circuit_reason } : {}),
    },
    { ok: result.ok, latency_ms: result.latency_ms, detail: result.detail, at },
    circuitSettingsFor(registry.policies, endpoint),
  );
  await deps.health.writeAssessment(assessment, result.detail);
  return assessment;
}

export interface ProbeRoundsOptions {
  /** Rounds per invocation. */
  rounds: number;
  /** From the start of one round to the start of the next. */
  intervalMs: number;
  /** No round starts later than this (epoch ms): keep the invocation within its timeout. */
  stopBy: number;
  sleep: (ms: number) => Promise<void>;
}

export interface ProbeRoundsSummary extends RoundSummary {
  rounds: number;
}

/** Runs up to `rounds` probe rounds, `intervalMs` apart; the counts are the last round's, circuits all rounds'. */
export async function runProbeRounds(
  deps: HealthCheckDeps,
  options: ProbeRoundsOptions,
): Promise<ProbeRoundsSummary> {
  const first = deps.now();
  let last: RoundSummary = { probed: 0, up: 0, down: 0, opened: [], closed: [] };
  const opened: string[] = [];
  const closed: string[] = [];
  let rounds = 0;
  for (let r = 0; r < options.rounds; r++) {
    const startAt = first + r * options.intervalMs;
    if (r > 0) {
      if (startAt > options.stopBy) break;
      const wait = startAt - deps.now();
      if (wait > 0) await options.sleep(wait);
    }
    last = await runHealthChecks(deps);
    opened.push(...last.opened);
    closed.push(...last.closed);
    rounds++;
  }
  return { ...last, opened, closed, rounds };
}
