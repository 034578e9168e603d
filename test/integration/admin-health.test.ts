// `/admin/health` shows the circuit that actually refuses traffic: a router container's own
// breakers (LocalCircuits) publish their changes through the background buffer to the health
// table (dynalite, real SDK client), and AdminService.health() reports per endpoint the most
// restrictive circuit in force, where it comes from, and how many containers hold it.
import type { HealthRecord } from '@switchyard/adapters';
import { DynamoDbHealthStore, OutcomeBuffer } from '@switchyard/adapters';
import type { RouterCircuitChange } from '@switchyard/core';
import { RegistrySchema } from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdminService, type EndpointHealthView } from '../../functions/admin/admin.service.ts';
import { LocalCircuits } from '../../functions/router/local-circuits.ts';
import { type LocalDynamo, startLocalDynamo } from '../support/local-aws.ts';
import { compiled, endpoint, model, policy } from '../unit/core/fixtures.ts';

const T0 = 1_700_000_000_000;
const input = {
  models: [model('m')],
  endpoints: [endpoint('a', 'm'), endpoint('b', 'm')],
  policies: [policy('p', { match: { model: 'p' }, circuit: { failure_threshold: 3, cooldown_ms: 10_000 } })],
};
const registry = RegistrySchema.parse(input);

let dynamo: LocalDynamo;
let store: DynamoDbHealthStore;
let now: number;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  now = T0;
  store = new DynamoDbHealthStore({
    client: dynamo.client,
    tableName: await dynamo.createTable('health'),
    now: () => now,
  });
  // Both endpoints freshly probed up, shared circuits closed.
  for (const id of ['a', 'b'])
    await store.put({ endpoint: id, status: 'up', checked_at: now, circuit: 'closed' });
});

/** A router container: its breakers, publishing through a buffer as the router handler wires it. */
function container(id: string) {
  const buffer = new OutcomeBuffer<RouterCircuitChange>({
    sink: (changes) => store.publishRouterCircuits(id, changes),
    flushIntervalMs: 0,
    now: () => now,
  });
  const circuits = new LocalCircuits({ onChange: (c) => buffer.add([c]) });
  circuits.useRegistry(compiled(input));
  return {
    fail: (endpointId: string, times: number) => {
      for (let i = 0; i < times; i++)
        circuits.record(endpointId, { ok: false, at: now, detail: 'connection' });
    },
    succeed: (endpointId: string) => circuits.record(endpointId, { ok: true, at: now }),
    admit: (endpointId: string) => circuits.admit(endpointId, now),
    flush: () => buffer.flush(),
  };
}

const admin = () =>
  new AdminService({
    registry: {
      load: async () => registry,
      items: async () => [],
      putModel: async () => Promise.reject(new Error('unused')),
      putEndpoint: async () => Promise.reject(new Error('unused')),
      putPolicy: async () => Promise.reject(new Error('unused')),
    },
    health: { records: () => store.records() },
    rollouts: {} as never,
    now: () => now,
    healthFreshMs: 90_000,
  });

async function view(id: string): Promise<EndpointHealthView> {
  const body = (await admin().health()) as { endpoints: EndpointHealthView[] };
  const v = body.endpoints.find((e) => e.endpoint === id);
  if (!v) throw new Error(`no ${id}`);
  return v;
}
const summary = async () => ((await admin().health()) as { summary: Record<string, number> }).summary;

describe('/admin/health with router circuits', () => {
  it('shows a circuit only a router container holds open, with its reason and the count', async () => {
    const c1 = container('c1');
    c1.fail('a', 2);
    await c1.flush();
    expect(await view('a')).toMatchObject({ circuit: 'closed', router_circuits: { open: 0 } }); // 2 of 3
    c1.fail('a', 1);
    await c1.flush();
    const a = await view('a');
    expect(a).toMatchObject({
      circuit: 'open',
      circuit_source: 'router',
      circuit_opened_at: T0,
      circuit_reason: '3 consecutive failures (threshold 3); last: connection',
      shared_circuit: 'closed',
      router_circuits: {
        open: 1,
        half_open: 0,
        containers: [{ container: 'c1', state: 'open', opened_at: T0, until: T0 + 10_000 }],
      },
      routable: false,
      why: 'circuit open in 1 router container: 3 consecutive failures (threshold 3); last: connection',
    });
    expect(await view('b')).toMatchObject({ circuit: 'closed', circuit_source: null, routable: true });
    expect(await summary()).toMatchObject({ endpoints: 2, routable: 1, circuits_open: 1 });

    const c2 = container('c2');
    c2.fail('a', 3);
    await c2.flush();
    expect((await view('a')).why).toMatch(/^circuit open in 2 router containers: /);
  });

  it('an open entry lapses at the end of its cooldown (the router then lets a trial through)', async () => {
    const c1 = container('c1');
    c1.fail('a', 3);
    await c1.flush();
    now = T0 + 9_999;
    expect(await view('a')).toMatchObject({ circuit: 'open', routable: false });
    now = T0 + 10_000;
    expect(await view('a')).toMatchObject({
      circuit: 'closed',
      routable: true,
      router_circuits: { open: 0 },
    });
  });

  it('half-open in a router is shown but routable; the trial closing it removes the entry', async () => {
    const c1 = container('c1');
    c1.fail('a', 3);
    now = T0 + 10_000;
    expect(c1.admit('a')).toBe(true); // half-open: the trial goes through
    await c1.flush();
    now = T0 + 10_001;
    // The shared record was measured at T0; still fresh (90 s).
    expect(await view('a')).toMatchObject({
      circuit: 'half-open',
      circuit_source: 'router',
      router_circuits: { open: 0, half_open: 1 },
      routable: true,
    });
    c1.succeed('a');
    await c1.flush();
    expect(await view('a')).toMatchObject({ circuit: 'closed', router_circuits: { containers: [] } });
    const record = (await store.records()).find((r: HealthRecord) => r.health.endpoint === 'a');
    expect(record?.router_circuits).toEqual([]);
  });

  it('the shared circuit wins a tie and keeps its reason; a stale shared one is not in force', async () => {
    const c1 = container('c1');
    c1.fail('a', 3);
    await c1.flush();
    await store.put(
      { endpoint: 'a', status: 'down', checked_at: now, circuit: 'open', circuit_opened_at: now - 5 },
      { circuit_reason: '5 consecutive failures (threshold 5)' },
    );
    expect(await view('a')).toMatchObject({
      circuit: 'open',
      circuit_source: 'shared',
      circuit_opened_at: T0 - 5,
      circuit_reason: '5 consecutive failures (threshold 5)',
      router_circuits: { open: 1 },
    });
    // 95 s later the shared record is stale and the router entry lapsed: nothing refuses traffic.
    now = T0 + 95_000;
    expect(await view('a')).toMatchObject({
      circuit: 'closed',
      circuit_source: null,
      shared_circuit: 'open',
      fresh: false,
    });
  });
});
