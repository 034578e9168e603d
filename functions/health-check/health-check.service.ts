// One round of active health checks over ports: probe each endpoint (bounded concurrency, a
// timeout each) and write what was measured, keeping the passive figures already recorded.
import type { ContextualProber } from '@switchyard/adapters';
import type { EndpointHealth, HealthStore, ModelRegistry } from '@switchyard/core';

export interface HealthCheckDeps {
  registry: ModelRegistry;
  health: HealthStore;
  prober: ContextualProber;
  now: () => number;
  timeoutMs: number;
  concurrency: number;
}

export async function runHealthChecks(
  deps: HealthCheckDeps,
): Promise<{ probed: number; up: number; down: number }> {
  const [registry, snapshot] = await Promise.all([deps.registry.load(), deps.health.snapshot()]);
  const endpoints = registry.endpoints.filter((e) => e.state !== 'disabled');
  let up = 0;
  let down = 0;
  let next = 0;
  const worker = async () => {
    while (next < endpoints.length) {
      const endpoint = endpoints[next++];
      if (!endpoint) break;
      const signal = AbortSignal.timeout(deps.timeoutMs);
      const started = deps.now();
      const tasks = registry.models.find(
        (m) => m.id === endpoint.model && m.version === endpoint.version,
      )?.tasks;
      const result = await deps.prober
        .probe(endpoint, signal, tasks ? { tasks } : {})
        .catch((err: unknown) => ({
          ok: false,
          latency_ms: deps.now() - started,
          detail: err instanceof Error ? err.message : String(err),
        }));
      const prior = snapshot.endpoints[endpoint.id];
      const record: EndpointHealth = {
        ...(prior ?? { circuit: 'closed' }),
        endpoint: endpoint.id,
        status: result.ok ? 'up' : 'down',
        checked_at: deps.now(),
        latency_ms: result.latency_ms,
        reason: result.detail,
      };
      await deps.health.put(record);
      if (result.ok) up++;
      else down++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency, endpoints.length) }, worker));
  return { probed: endpoints.length, up, down };
}
