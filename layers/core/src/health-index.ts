// Per-snapshot health index: what the hot loop reads about each endpoint's health, by registry
// slot, in typed arrays (no hashing of 10,000 ids, no pointer chasing through scattered records).
// Built by the first decision that sees a (snapshot, registry) pair and reused while both stay
// the same objects, so callers treat a HealthSnapshot as immutable once routed on: replace it,
// do not edit it. Freshness is checked per decision (it depends on `now`). Unknown latencies are
// -1 rather than NaN: testing for NaN (Number.isNaN) in the hot loop boxes a double per call.
import type { CompiledRegistry } from './compile.ts';
import type { CircuitState, EndpointHealth, HealthSnapshot, HealthStatus } from './route.types.ts';
import { measuredLatencyMs } from './score.ts';

/** Status codes in HealthColumns.status. */
export const HEALTH_STATUSES: readonly HealthStatus[] = ['up', 'degraded', 'down', 'unknown'];
/** Circuit codes in HealthColumns.circuit. */
export const CIRCUIT_STATES: readonly CircuitState[] = ['closed', 'open', 'half-open'];

export interface HealthColumns {
  /** Epoch ms of the record; NaN when the snapshot has none (never fresh). */
  readonly checkedAt: Float64Array;
  /** Index into HEALTH_STATUSES. */
  readonly status: Uint8Array;
  /** Index into CIRCUIT_STATES. */
  readonly circuit: Uint8Array;
  /** Expected latency from measurements (EWMA or probe, blended with p95); -1 when none. */
  readonly measured: Float64Array;
  /** Peak-EWMA latency; -1 when none. */
  readonly peak: Float64Array;
  /** In-flight requests; 0 when unknown. */
  readonly inflight: Float64Array;
  /** The records themselves (for exclusion reasons). */
  readonly records: ReadonlyArray<EndpointHealth | undefined>;
}

type Cache = WeakMap<HealthSnapshot, { registry: CompiledRegistry; columns: HealthColumns }>;
const caches: Record<LatencyBasis, Cache> = { latency: new WeakMap(), ttft: new WeakMap() };

/**
 * Which latency the columns hold: total latency, or (streaming requests) the time to first token
 * where it was measured, total latency where it was not.
 */
export type LatencyBasis = 'latency' | 'ttft';

/** The health columns of `health` for the endpoints of `registry` (cached per pair and basis). */
export function healthColumns(
  registry: CompiledRegistry,
  health: HealthSnapshot,
  basis: LatencyBasis = 'latency',
): HealthColumns {
  const cache = caches[basis];
  const hit = cache.get(health);
  if (hit && hit.registry === registry) return hit.columns;
  const endpoints = registry.registry.endpoints;
  const n = endpoints.length;
  const byId = health.endpoints;
  const columns: HealthColumns = {
    checkedAt: new Float64Array(n).fill(Number.NaN),
    status: new Uint8Array(n).fill(3),
    circuit: new Uint8Array(n),
    measured: new Float64Array(n).fill(-1),
    peak: new Float64Array(n).fill(-1),
    inflight: new Float64Array(n),
    records: endpoints.map((e) => (Object.hasOwn(byId, e.id) ? byId[e.id] : undefined)),
  };
  columns.records.forEach((h, slot) => {
    if (!h) return;
    columns.checkedAt[slot] = h.checked_at;
    const code = HEALTH_STATUSES.indexOf(h.status);
    columns.status[slot] = code < 0 ? 3 : code;
    columns.circuit[slot] = Math.max(0, CIRCUIT_STATES.indexOf(h.circuit));
    const total = measuredLatencyMs(h.latency_ewma_ms, h.latency_ms, h.latency_p95_ms);
    const ttft = basis === 'ttft' ? measuredLatencyMs(h.ttft_ewma_ms, undefined, h.ttft_p95_ms) : undefined;
    columns.measured[slot] = ttft ?? total ?? -1;
    const peak = basis === 'ttft' ? (h.ttft_peak_ewma_ms ?? h.latency_peak_ewma_ms) : h.latency_peak_ewma_ms;
    columns.peak[slot] = peak ?? -1;
    columns.inflight[slot] = h.inflight ?? 0;
  });
  cache.set(health, { registry, columns });
  return columns;
}
