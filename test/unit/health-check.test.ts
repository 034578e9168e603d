// The health check's rounds over fakes: several rounds per invocation, paced and bounded by the
// invocation's time; probes recorded with the passive counters; the shared circuit opened on
// consecutive failures and closed by the first good probe after the cooldown.
import { describe, expect, it } from 'vitest';
import {
  type HealthCheckStore,
  runHealthChecks,
  runProbeRounds,
} from '../../functions/health-check/health-check.service.ts';
import type { HealthRecord, ProbeOutcome } from '../../layers/adapters/src/index.ts';
import type { Assessment, Endpoint, ProbeResult, Registry } from '../../layers/core/src/index.ts';
import { RegistrySchema } from '../../layers/core/src/index.ts';

const registry: Registry = RegistrySchema.parse({
  models: [{ id: 'm', version: 'v1', tasks: ['chat'], context_window: 1000, regions: ['r'] }],
  endpoints: [
    { id: 'a', model: 'm', version: 'v1', kind: 'openai-http', target: 'http://a/v1', region: 'r' },
    { id: 'b', model: 'm', version: 'v1', kind: 'openai-http', target: 'http://b/v1', region: 'r' },
    {
      id: 'off',
      model: 'm',
      version: 'v1',
      kind: 'openai-http',
      target: 'http://off/v1',
      region: 'r',
      state: 'disabled',
    },
  ],
  policies: [{ name: 'p', models: ['m'], circuit: { failure_threshold: 2, cooldown_ms: 30_000 } }],
});

/** An in-memory health table with the DynamoDbHealthStore semantics the health check relies on. */
class FakeStore implements HealthCheckStore {
  readonly records = new Map<string, HealthRecord>();
  readonly written: Assessment[] = [];

  async recordProbe(p: ProbeOutcome): Promise<void> {
    const r = this.records.get(p.endpoint) ?? {
      health: { endpoint: p.endpoint, status: 'unknown', checked_at: 0, circuit: 'closed' },
      requests: 0,
      failures: 0,
      hist: [],
      probe_requests: 0,
      probe_failures: 0,
      consecutive_failures: 0,
      marks: [],
    };
    r.probe_requests++;
    if (!p.ok) r.probe_failures++;
    r.consecutive_failures = p.ok ? 0 : r.consecutive_failures + 1;
    this.records.set(p.endpoint, r);
  }

  async record(endpoint: string): Promise<HealthRecord | undefined> {
    return this.records.get(endpoint);
  }

  async writeAssessment(a: Assessment, probeDetail: string): Promise<void> {
    const r = this.records.get(a.health.endpoint) as HealthRecord;
    r.health = { ...r.health, ...a.health };
    if (a.health.circuit === 'closed') delete r.health.circuit_opened_at;
    r.marks = a.marks;
    r.probe_detail = probeDetail;
    if (a.circuit_reason !== undefined) r.circuit_reason = a.circuit_reason;
    this.written.push(a);
  }
}

function setup(up: (e: Endpoint) => boolean) {
  let now = 1_000_000;
  const store = new FakeStore();
  const probed: string[] = [];
  const deps = {
    registry: { load: async () => registry },
    health: store,
    prober: {
      probe: async (e: Endpoint): Promise<ProbeResult> => {
        probed.push(e.id);
        now += 3;
        return up(e)
          ? { ok: true, latency_ms: 3, detail: 'HTTP 200' }
          : { ok: false, latency_ms: 1, detail: 'refused' };
      },
    },
    now: () => now,
    timeoutMs: 1_000,
    concurrency: 2,
  };
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    now += ms;
  };
  return { deps, store, probed, sleeps, sleep, clock: { get: () => now, set: (v: number) => (now = v) } };
}

describe('health check rounds', () => {
  it('probes every endpoint that is not disabled, and writes status, latency and time', async () => {
    const { deps, store, probed } = setup((e) => e.id === 'a');
    const summary = await runHealthChecks(deps);
    expect(summary).toMatchObject({ probed: 2, up: 1, down: 1 });
    expect(probed.sort()).toEqual(['a', 'b']);
    expect(store.records.get('a')?.health).toMatchObject({ status: 'up', latency_ms: 3, circuit: 'closed' });
    expect(store.records.get('b')?.health).toMatchObject({ status: 'down', reason: 'refused' });
    expect(store.records.get('b')?.health.checked_at).toBeGreaterThan(1_000_000);
  });

  it('runs the configured rounds, paced by the interval from the first round', async () => {
    const { deps, probed, sleeps, sleep } = setup(() => true);
    const summary = await runProbeRounds(deps, {
      rounds: 4,
      intervalMs: 15_000,
      stopBy: Number.POSITIVE_INFINITY,
      sleep,
    });
    expect(summary.rounds).toBe(4);
    expect(probed).toHaveLength(8);
    expect(sleeps).toHaveLength(3);
    // Each sleep makes up the rest of the 15 s after the round's own time.
    for (const s of sleeps) expect(s).toBeLessThan(15_000);
    for (const s of sleeps) expect(s).toBeGreaterThan(14_900);
  });

  it('starts no round that could outlive the invocation', async () => {
    const { deps, sleep, clock } = setup(() => true);
    const summary = await runProbeRounds(deps, {
      rounds: 4,
      intervalMs: 15_000,
      stopBy: clock.get() + 20_000,
      sleep,
    });
    expect(summary.rounds).toBe(2);
  });

  it('opens the shared circuit after failure_threshold failing rounds; the first good probe after the cooldown closes it', async () => {
    let bUp = false;
    const { deps, store, sleep, clock } = setup((e) => e.id === 'a' || bUp);
    const first = await runProbeRounds(deps, {
      rounds: 2,
      intervalMs: 15_000,
      stopBy: Number.POSITIVE_INFINITY,
      sleep,
    });
    expect(first.opened).toEqual(['b']);
    const b = store.records.get('b');
    expect(b?.health).toMatchObject({ circuit: 'open', status: 'down' });
    expect(b?.circuit_reason).toBe('2 consecutive failures (threshold 2)');
    bUp = true;
    // Within the cooldown the circuit stays open even though the probe is good.
    const during = await runProbeRounds(deps, {
      rounds: 1,
      intervalMs: 15_000,
      stopBy: Number.POSITIVE_INFINITY,
      sleep,
    });
    expect(during.closed).toEqual([]);
    expect(store.records.get('b')?.health).toMatchObject({ circuit: 'open', status: 'up' });
    clock.set(clock.get() + 30_000);
    const after = await runProbeRounds(deps, {
      rounds: 1,
      intervalMs: 15_000,
      stopBy: Number.POSITIVE_INFINITY,
      sleep,
    });
    expect(after.closed).toEqual(['b']);
    expect(store.records.get('b')?.health.circuit).toBe('closed');
    expect(store.records.get('b')?.health.circuit_opened_at).toBeUndefined();
  });
});
