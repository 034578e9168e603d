import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbHealthStore, foldLatencyEwma, histogramAttribute } from '@switchyard/adapters';
import type { EndpointHealth, RouterCircuitChange } from '@switchyard/core';
import { assessEndpoint, latencyBucket } from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
  store = new DynamoDbHealthStore({ client: dynamo.client, tableName, ttlSeconds: 600, now: () => now });
});

const raw = async (endpoint: string) =>
  (await dynamo.client.send(new GetCommand({ TableName: tableName, Key: { endpoint } }))).Item;

const up = (endpoint: string, extra: Partial<EndpointHealth> = {}): EndpointHealth => ({
  endpoint,
  status: 'up',
  checked_at: now,
  latency_ms: 12,
  circuit: 'closed',
  ...extra,
});

describe('DynamoDbHealthStore', () => {
  it('put() then snapshot() round-trips EndpointHealth and sets expires_at in epoch seconds', async () => {
    await store.put(up('gpu-a'));
    await store.put(up('gpu-b', { status: 'down', reason: 'connection refused', latency_ms: 3 }));
    expect(await store.snapshot()).toEqual({
      endpoints: {
        'gpu-a': up('gpu-a'),
        'gpu-b': up('gpu-b', { status: 'down', reason: 'connection refused', latency_ms: 3 }),
      },
    });
    expect((await raw('gpu-a'))?.expires_at).toBe(1_700_000_000 + 600);
  });

  it('put() keeps fields it is not given (the EWMA) but clears a stale reason', async () => {
    await store.recordOutcomes([{ endpoint: 'gpu-a', ok: true, latency_ms: 40, at: now }]);
    await store.put(up('gpu-a', { status: 'down', reason: 'HTTP 503' }));
    await store.put(up('gpu-a'));
    const health = (await store.snapshot()).endpoints['gpu-a'];
    expect(health).toEqual({ ...up('gpu-a'), latency_ewma_ms: 40, latency_peak_ewma_ms: 40 });
  });

  it('snapshot() skips items past their TTL that DynamoDB has not deleted yet', async () => {
    await store.put(up('old', { checked_at: now - 700_000 }));
    await store.put(up('fresh'));
    now += 601_000;
    await store.put(up('fresh', { checked_at: now }));
    expect(Object.keys((await store.snapshot()).endpoints)).toEqual(['fresh']);
  });

  it('snapshot() pages through a large table', async () => {
    const reason = 'r'.repeat(40_000);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.put(up(`e-${i}`, { status: 'degraded', reason }))),
    );
    const { endpoints } = await store.snapshot();
    expect(Object.keys(endpoints)).toHaveLength(30);
    expect(endpoints['e-29']?.reason).toBe(reason);
  });

  it('recordOutcomes() folds latencies into the EWMAs and counts requests and failures', async () => {
    await store.put(up('gpu-a'));
    await store.recordOutcomes([
      { endpoint: 'gpu-a', ok: true, latency_ms: 100, at: now + 1 },
      { endpoint: 'gpu-a', ok: false, latency_ms: 2, at: now + 2, failure: 'connection' },
      { endpoint: 'gpu-a', ok: false, latency_ms: 1_000, at: now + 3, failure: 'timeout' },
      { endpoint: 'sm-x', ok: false, latency_ms: 5, at: now + 4, failure: 'server' },
    ]);
    await store.recordOutcomes([{ endpoint: 'gpu-a', ok: true, latency_ms: 50, at: now + 5 }]);
    const expected = foldLatencyEwma({}, [100, 1_000, 50]);
    const a = await raw('gpu-a');
    expect(a).toMatchObject({
      status: 'up',
      latency_ms: 12,
      latency_ewma_ms: expected.latency_ewma_ms,
      latency_peak_ewma_ms: expected.latency_peak_ewma_ms,
      outcome_requests: 4,
      outcome_failures: 2,
      last_outcome_at: now + 5,
    });
    // An endpoint first seen through outcomes: unknown until a probe says otherwise; no latency sample.
    const x = await raw('sm-x');
    expect(x).toMatchObject({
      status: 'unknown',
      circuit: 'closed',
      checked_at: 0,
      outcome_requests: 1,
      outcome_failures: 1,
    });
    expect(x?.latency_ewma_ms).toBeUndefined();
    expect((await store.snapshot()).endpoints['sm-x']).toEqual({
      endpoint: 'sm-x',
      status: 'unknown',
      checked_at: 0,
      circuit: 'closed',
    });
  });

  it("recordOutcomes() folds streamed successes' times to first token into their own EWMAs and histogram", async () => {
    await store.put(up('gpu-t'));
    await store.recordOutcomes([
      { endpoint: 'gpu-t', ok: true, latency_ms: 900, ttft_ms: 100, at: now + 1 },
      { endpoint: 'gpu-t', ok: false, latency_ms: 300, ttft_ms: 40, at: now + 2, failure: 'connection' },
      { endpoint: 'gpu-t', ok: true, latency_ms: 700, at: now + 3 },
    ]);
    await store.recordOutcomes([{ endpoint: 'gpu-t', ok: true, latency_ms: 800, ttft_ms: 200, at: now + 4 }]);
    // 100, then 100 + 0.3 × (200 − 100); the peak jumps to 200. The failed stream's TTFT is no sample.
    const t = await raw('gpu-t');
    expect(t).toMatchObject({ ttft_ewma_ms: 130, ttft_peak_ewma_ms: 200, th_06: 1, th_08: 1 });
    expect(t?.th_02).toBeUndefined();
    const h = (await store.snapshot()).endpoints['gpu-t'];
    expect(h).toMatchObject({ ttft_ewma_ms: 130, ttft_peak_ewma_ms: 200 });
    // p95 of {100 (75..100], 200 (150..200]}: rank 1.9 falls in the second bucket, 90% of the way.
    expect(h?.ttft_p95_ms).toBe(195);
  });

  it('concurrent recordOutcomes() calls lose no counts and keep the EWMA within the samples', async () => {
    await Promise.all(
      [10, 20, 30, 40, 50, 60].map((latency, i) =>
        store.recordOutcomes([{ endpoint: 'gpu-a', ok: true, latency_ms: latency, at: now + i }]),
      ),
    );
    const item = await raw('gpu-a');
    expect(item?.outcome_requests).toBe(6);
    // Every write went through (none threw) and the EWMA stays within the samples.
    expect(item?.latency_peak_ewma_ms).toBeGreaterThanOrEqual(10);
    expect(item?.latency_ewma_ms).toBeGreaterThan(10);
    expect(item?.latency_ewma_ms).toBeLessThan(60);
  });

  it('fills required fields of items written by other tools', async () => {
    await dynamo.client.send(
      new PutCommand({ TableName: tableName, Item: { endpoint: 'bare', latency_ms: 7 } }),
    );
    expect((await store.snapshot()).endpoints.bare).toEqual({
      endpoint: 'bare',
      status: 'unknown',
      checked_at: 0,
      circuit: 'closed',
      latency_ms: 7,
    });
  });

  it('recordOutcomes() keeps a latency histogram and the consecutive-failure count', async () => {
    await store.recordOutcomes([
      { endpoint: 'gpu-a', ok: true, latency_ms: 40, at: now + 1 },
      { endpoint: 'gpu-a', ok: false, latency_ms: 1, at: now + 2, failure: 'connection' },
      { endpoint: 'gpu-a', ok: false, latency_ms: 900, at: now + 3, failure: 'timeout' },
    ]);
    let record = await store.record('gpu-a');
    expect(record).toMatchObject({ requests: 3, failures: 2, consecutive_failures: 2 });
    expect(record?.hist[latencyBucket(40)]).toBe(1);
    expect(record?.hist[latencyBucket(900)]).toBe(1);
    expect((await raw('gpu-a'))?.[histogramAttribute(latencyBucket(40))]).toBe(1);
    // Without a success the count grows; a success restarts it from the failures after it.
    await store.recordOutcomes([
      { endpoint: 'gpu-a', ok: false, latency_ms: 1, at: now + 4, failure: 'server' },
    ]);
    expect((await store.record('gpu-a'))?.consecutive_failures).toBe(3);
    await store.recordOutcomes([
      { endpoint: 'gpu-a', ok: true, latency_ms: 30, at: now + 5 },
      { endpoint: 'gpu-a', ok: false, latency_ms: 1, at: now + 6, failure: 'server' },
    ]);
    record = await store.record('gpu-a');
    expect(record?.consecutive_failures).toBe(1);
    expect(record?.requests).toBe(6);
  });

  it('recordProbe() counts probes apart from traffic, and folds good probes into the EWMA', async () => {
    await store.recordProbe({ endpoint: 'gpu-a', ok: false, latency_ms: 2, at: now });
    await store.recordProbe({ endpoint: 'gpu-a', ok: true, latency_ms: 20, at: now + 1 });
    const record = await store.record('gpu-a');
    expect(record).toMatchObject({
      requests: 0,
      failures: 0,
      probe_requests: 2,
      probe_failures: 1,
      consecutive_failures: 0,
    });
    expect(record?.health.latency_ewma_ms).toBe(20);
  });

  it('writeAssessment() stores health, marks and reasons; records() reads them back; closing clears opened-at', async () => {
    const a = assessEndpoint(
      'gpu-a',
      undefined,
      { consecutive_failures: 5, requests: 5, failures: 5, marks: [] },
      { ok: false, latency_ms: 3, detail: 'refused', at: now },
      {
        failure_threshold: 5,
        error_rate_threshold: 0.5,
        min_requests: 20,
        window_ms: 60_000,
        cooldown_ms: 10,
      },
    );
    await store.writeAssessment(a, 'refused');
    const [record] = await store.records();
    expect(record?.health).toMatchObject({
      endpoint: 'gpu-a',
      status: 'down',
      circuit: 'open',
      circuit_opened_at: now,
    });
    expect(record).toMatchObject({
      circuit_reason: '5 consecutive failures (threshold 5)',
      probe_detail: 'refused',
      window_requests: 0,
    });
    expect(record?.marks).toEqual([{ at: now, requests: 5, failures: 5 }]);
    await store.put(
      { endpoint: 'gpu-a', status: 'up', checked_at: now + 1, circuit: 'closed' },
      { circuit_reason: null },
    );
    const item = await raw('gpu-a');
    expect(item?.circuit_opened_at).toBeUndefined();
    expect(item?.circuit_reason).toBeUndefined();
    expect(item?.window_marks).toHaveLength(1);
  });
});

describe('DynamoDbHealthStore: router circuits', () => {
  const open = (endpoint: string, at: number, until: number): RouterCircuitChange => ({
    endpoint,
    state: 'open',
    opened_at: at,
    reason: '3 consecutive failures (threshold 3); last: connection',
    at,
    until,
  });

  it('publishes a container`s open breaker onto the endpoint`s item, beside what the health check wrote', async () => {
    await store.put(up('gpu-a'));
    await store.publishRouterCircuits('c1', [open('gpu-a', now, now + 30_000)]);
    expect((await raw('gpu-a'))?.router_circuits).toEqual({
      c1: {
        state: 'open',
        opened_at: now,
        reason: '3 consecutive failures (threshold 3); last: connection',
        at: now,
        until: now + 30_000,
      },
    });
    expect((await store.record('gpu-a'))?.router_circuits).toEqual([
      {
        endpoint: 'gpu-a',
        container: 'c1',
        state: 'open',
        opened_at: now,
        reason: '3 consecutive failures (threshold 3); last: connection',
        at: now,
        until: now + 30_000,
      },
    ]);
    // The snapshot routing reads is unchanged by it.
    expect((await store.snapshot()).endpoints['gpu-a']).toEqual(up('gpu-a'));
  });

  it('creates the item of an endpoint never measured; a closed breaker with nothing published writes nothing', async () => {
    await store.publishRouterCircuits('c1', [{ endpoint: 'new', state: 'closed', at: now, until: now }]);
    expect(await raw('new')).toBeUndefined();
    await store.publishRouterCircuits('c1', [open('new', now, now + 10)]);
    expect(await raw('new')).toMatchObject({
      router_circuits: { c1: { state: 'open' } },
      expires_at: 1_700_000_600,
    });
  });

  it('keeps one entry per container, the last change of a batch wins, and closing removes only its own', async () => {
    await store.publishRouterCircuits('c1', [open('gpu-a', now, now + 30_000)]);
    await store.publishRouterCircuits('c2', [
      open('gpu-a', now, now + 30_000),
      { endpoint: 'gpu-a', state: 'half-open', opened_at: now, at: now + 1, until: now + 30_001 },
    ]);
    expect(((await store.record('gpu-a'))?.router_circuits ?? []).map((r) => [r.container, r.state])).toEqual(
      [
        ['c1', 'open'],
        ['c2', 'half-open'],
      ],
    );
    await store.publishRouterCircuits('c1', [
      { endpoint: 'gpu-a', state: 'closed', at: now + 2, until: now + 2 },
    ]);
    expect(((await store.record('gpu-a'))?.router_circuits ?? []).map((r) => r.container)).toEqual(['c2']);
  });

  it('prunes entries of other containers that lapsed, at the next publish (a lapsed entry exactly at now too)', async () => {
    await store.publishRouterCircuits('gone', [open('gpu-a', now, now + 1_000)]);
    await store.publishRouterCircuits('edge', [open('gpu-a', now, now + 2_000)]);
    await store.publishRouterCircuits('alive', [open('gpu-a', now, now + 2_001)]);
    now += 2_000;
    await store.publishRouterCircuits('c1', [open('gpu-a', now, now + 30_000)]);
    expect(Object.keys((await raw('gpu-a'))?.router_circuits ?? {}).sort()).toEqual(['alive', 'c1']);
  });

  it('two containers publishing at once both land (the map is created once)', async () => {
    await Promise.all(
      ['c1', 'c2', 'c3', 'c4'].map((c) => store.publishRouterCircuits(c, [open('race', now, now + 30_000)])),
    );
    expect(Object.keys((await raw('race'))?.router_circuits ?? {}).sort()).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('skips malformed stored entries', async () => {
    await dynamo.client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          endpoint: 'odd',
          router_circuits: {
            a: 'x',
            b: { state: 'weird', at: 1, until: 2 },
            c: { state: 'open', at: 1, until: 2 },
          },
        },
      }),
    );
    expect((await store.record('odd'))?.router_circuits).toEqual([
      { endpoint: 'odd', container: 'c', state: 'open', at: 1, until: 2 },
    ]);
  });
});
