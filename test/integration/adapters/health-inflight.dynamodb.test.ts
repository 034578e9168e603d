// Shared in-flight figures through the health table, with the real DynamoDB client against
// dynalite: router containers' reports summed per endpoint when fresh (the boundary included),
// ignored when stale, an empty report removing the container's item, report items kept out of
// the endpoint records, pruning, and a router's own share replaced by its exact count (tracker
// view + route()) rather than counted twice. Also the reporter writing to the real table.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbHealthStore, InflightReporter } from '@switchyard/adapters';
import type { EndpointHealth } from '@switchyard/core';
import { compileRegistry, RegistrySchema, route, seededRandom } from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InflightTracker } from '../../../functions/router/inflight-tracker.ts';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

let dynamo: LocalDynamo;
let tableName: string;
let now: number;
let store: DynamoDbHealthStore;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  tableName = await dynamo.createTable('health');
  now = 1_700_000_000_000;
  store = new DynamoDbHealthStore({
    client: dynamo.client,
    tableName,
    inflightFreshMs: 10_000,
    now: () => now,
  });
  await store.put(up('gpu-a'));
  await store.put(up('gpu-b'));
});

const up = (endpoint: string): EndpointHealth => ({
  endpoint,
  status: 'up',
  checked_at: now,
  circuit: 'closed',
});
const raw = async (key: string) =>
  (await dynamo.client.send(new GetCommand({ TableName: tableName, Key: { endpoint: key } }))).Item;

describe('DynamoDbHealthStore: in-flight reports', () => {
  it('sums the fresh reports of every router into each endpoint`s inflight, and lists them', async () => {
    await store.reportInflight({ router: 'r1', at: now - 2000, inflight: { 'gpu-a': 2, 'gpu-b': 1 } });
    await store.reportInflight({ router: 'r2', at: now - 1000, inflight: { 'gpu-a': 3 } });
    const snapshot = await store.snapshot();
    expect(snapshot.endpoints['gpu-a']?.inflight).toBe(5);
    expect(snapshot.endpoints['gpu-b']?.inflight).toBe(1);
    expect(Object.keys(snapshot.endpoints).sort()).toEqual(['gpu-a', 'gpu-b']);
    expect(snapshot.inflight_reports?.sort((a, b) => a.router.localeCompare(b.router))).toEqual([
      { router: 'r1', at: now - 2000, inflight: { 'gpu-a': 2, 'gpu-b': 1 } },
      { router: 'r2', at: now - 1000, inflight: { 'gpu-a': 3 } },
    ]);
    expect(await raw('~router/r1')).toMatchObject({
      reported_at: now - 2000,
      expires_at: Math.floor((now - 2000) / 1000) + 900,
    });
  });

  it('counts a report exactly inflightFreshMs old, and ignores one a millisecond older', async () => {
    await store.reportInflight({ router: 'r1', at: now - 10_000, inflight: { 'gpu-a': 4 } });
    await store.reportInflight({ router: 'r2', at: now - 10_001, inflight: { 'gpu-a': 7 } });
    const snapshot = await store.snapshot();
    expect(snapshot.endpoints['gpu-a']?.inflight).toBe(4);
    expect(snapshot.inflight_reports?.map((r) => r.router)).toEqual(['r1']);
  });

  it('replaces a router`s report, and an empty one deletes its item', async () => {
    await store.reportInflight({ router: 'r1', at: now, inflight: { 'gpu-a': 2 } });
    await store.reportInflight({ router: 'r1', at: now, inflight: { 'gpu-b': 1 } });
    let snapshot = await store.snapshot();
    expect([snapshot.endpoints['gpu-a']?.inflight, snapshot.endpoints['gpu-b']?.inflight]).toEqual([
      undefined,
      1,
    ]);
    await store.reportInflight({ router: 'r1', at: now, inflight: {} });
    expect(await raw('~router/r1')).toBeUndefined();
    snapshot = await store.snapshot();
    expect(snapshot).toEqual({ endpoints: { 'gpu-a': up('gpu-a'), 'gpu-b': up('gpu-b') } });
  });

  it('keeps report items out of the endpoint records', async () => {
    await store.reportInflight({ router: 'r1', at: now, inflight: { 'gpu-a': 2 } });
    expect((await store.records()).map((r) => r.health.endpoint).sort()).toEqual(['gpu-a', 'gpu-b']);
  });

  it('prunes reports older than the cutoff, keeping fresher ones', async () => {
    await store.reportInflight({ router: 'old', at: now - 300_001, inflight: { 'gpu-a': 1 } });
    await store.reportInflight({ router: 'edge', at: now - 300_000, inflight: { 'gpu-a': 1 } });
    await store.reportInflight({ router: 'new', at: now, inflight: { 'gpu-a': 1 } });
    expect(await store.pruneInflightReports(300_000)).toBe(1);
    expect(await raw('~router/old')).toBeUndefined();
    expect(await raw('~router/edge')).toBeDefined();
    expect(await raw('~router/new')).toBeDefined();
    expect((await store.records()).map((r) => r.health.endpoint).sort()).toEqual(['gpu-a', 'gpu-b']);
  });

  it('a router replaces its own shared share with its exact count: never counted twice', async () => {
    const registry = compileRegistry(
      RegistrySchema.parse({
        models: [{ id: 'm', version: 'v1', tasks: ['chat'], context_window: 8192, regions: ['us-east-1'] }],
        endpoints: ['gpu-a', 'gpu-b'].map((id) => ({
          id,
          model: 'm',
          version: 'v1',
          kind: 'openai-http',
          target: `http://${id}/v1`,
          region: 'us-east-1',
        })),
        policies: [{ name: 'p', match: { model: 'p' } }],
      }),
    );
    const mine = new InflightTracker('me');
    mine.useRegistry(registry);
    for (let i = 0; i < 6; i++) mine.acquire('gpu-a');
    // The store holds an older report of this container (4) and one of another (3).
    await store.reportInflight({ router: 'me', at: now, inflight: { 'gpu-a': 4 } });
    await store.reportInflight({ router: 'other', at: now, inflight: { 'gpu-a': 3 } });
    const shared = await store.snapshot();
    expect(shared.endpoints['gpu-a']?.inflight).toBe(7);
    const d = route(
      {
        model: 'p',
        task: 'chat',
        prompt_tokens: 10,
        max_output_tokens: 10,
        tenant: { id: 't' },
        hints: {},
      },
      { registry, health: mine.view(shared), load: mine.load() as NonNullable<ReturnType<typeof mine.load>> },
      { now, random: seededRandom(1) },
    );
    expect(d.explanation.candidates.find((c) => c.endpoint === 'gpu-a')?.inflight).toBe(9);
  });

  it('the reporter keeps the table in step with a tracker', async () => {
    const tracker = new InflightTracker('r9');
    const reporter = new InflightReporter({
      router: 'r9',
      source: tracker,
      sink: (r) => store.reportInflight(r),
      now: () => now,
    });
    const releases = [tracker.acquire('gpu-a'), tracker.acquire('gpu-a'), tracker.acquire('gpu-b')];
    await reporter.flush();
    let snapshot = await store.snapshot();
    expect([snapshot.endpoints['gpu-a']?.inflight, snapshot.endpoints['gpu-b']?.inflight]).toEqual([2, 1]);
    for (const release of releases) release();
    await reporter.flush();
    snapshot = await store.snapshot();
    expect(snapshot.inflight_reports).toBeUndefined();
    expect(await raw('~router/r9')).toBeUndefined();
  });
});
