// The DynamoDB decision log against dynalite with the real SDK client: the item (TTL 30 days
// after the request, no prompt), conditional puts, feedback joined once per request id and only
// by the tenant that made the request, and the refit's read of records since a time.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CachedLearnedState, DynamoDbDecisionLog, DynamoDbLearnedStateStore } from '@switchyard/adapters';
import type { DecisionRecord } from '@switchyard/core';
import { emptyLearnedState, foldEvents } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

let dynamo: LocalDynamo;
let table: string;
let log: DynamoDbDecisionLog;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  table = await dynamo.createTable('decisions');
  log = new DynamoDbDecisionLog({ client: dynamo.client, tableName: table });
});
afterAll(async () => {
  await dynamo?.stop();
});

const record = (over: Partial<DecisionRecord> = {}): DecisionRecord => ({
  request_id: 'req-1',
  tenant: 'acme',
  key_id: 'key-1',
  at: 1_795_514_400_123,
  policy: 'auto',
  strategy: 'learned',
  model: 'small@v1',
  endpoint: 'small-1',
  primary: 'small@v1',
  propensity: 0.9625,
  explored: false,
  prior: 0.7,
  context: [1, 0.5, 0.25, 0, 0, 0, 1, 0, 0, 0],
  candidates: [{ model: 'small@v1', prior: 0.7, cost_usd: 0.0001 }],
  prompt_tokens: 120,
  status: 'ok',
  latency_ms: 42,
  cost_micros: 100,
  attempts: 1,
  ...over,
});

describe('DynamoDbDecisionLog', () => {
  it('writes the record with a TTL 30 days after the request; a second put of the same id changes nothing', async () => {
    await log.put(record());
    await log.put(record({ model: 'other@v1' }));
    const item = (
      await dynamo.client.send(new GetCommand({ TableName: table, Key: { request_id: 'req-1' } }))
    ).Item;
    expect(item?.expires_at).toBe(1_795_514_400 + 30 * 86_400);
    expect(item?.model).toBe('small@v1');
    expect(item?.context).toEqual([1, 0.5, 0.25, 0, 0, 0, 1, 0, 0, 0]);
  });

  it('joins feedback once; a repeat returns the first feedback (idempotent)', async () => {
    await log.put(record({ request_id: 'req-fb' }));
    const first = await log.addFeedback('acme', 'req-fb', { score: 0.8, label: 'good', at: 5 });
    expect(first).toEqual({ status: 'stored', feedback: { score: 0.8, label: 'good', at: 5 } });
    const again = await log.addFeedback('acme', 'req-fb', { score: 0, thumbs: 'down', at: 6 });
    expect(again).toEqual({ status: 'duplicate', feedback: { score: 0.8, label: 'good', at: 5 } });
  });

  it('another tenant, or an unknown request id, finds nothing (and stores nothing)', async () => {
    await log.put(record({ request_id: 'req-other' }));
    expect(await log.addFeedback('intruder', 'req-other', { score: 1, at: 1 })).toEqual({
      status: 'not-found',
    });
    expect(await log.addFeedback('acme', 'req-missing', { score: 1, at: 1 })).toEqual({
      status: 'not-found',
    });
    const item = (
      await dynamo.client.send(new GetCommand({ TableName: table, Key: { request_id: 'req-other' } }))
    ).Item;
    expect(item?.feedback).toBeUndefined();
    const missing = await dynamo.client.send(
      new GetCommand({ TableName: table, Key: { request_id: 'req-missing' } }),
    );
    expect(missing.Item).toBeUndefined();
  });

  it('reads records at or after a time, in time order, with their feedback and without the TTL', async () => {
    const since = 1_900_000_000_000;
    await log.put(record({ request_id: 'late-b', at: since + 10 }));
    await log.put(record({ request_id: 'late-a', at: since }));
    await log.put(record({ request_id: 'early', at: since - 1 }));
    await log.addFeedback('acme', 'late-b', { score: 1, thumbs: 'up', at: since + 20 });
    const got = await log.since(since);
    expect(got.map((r) => r.request_id)).toEqual(['late-a', 'late-b']);
    expect(got[1]?.feedback).toEqual({ score: 1, thumbs: 'up', at: since + 20 });
    expect(got[0]).not.toHaveProperty('expires_at');
    expect(got[0]).toEqual(record({ request_id: 'late-a', at: since }));
  });
});

describe('DynamoDbLearnedStateStore', () => {
  it('has no state at first; round-trips the state as one item the decision scan never returns', async () => {
    const t = await dynamo.createTable('decisions');
    const store = new DynamoDbLearnedStateStore({ client: dynamo.client, tableName: t });
    expect(await store.get()).toBeUndefined();
    const state = foldEvents(
      emptyLearnedState(0),
      [{ arm: 'small@v1', x: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], prior: 0.5, reward: 0.9 }],
      77,
    ).state;
    await store.put(state);
    expect(await store.get()).toEqual(state);
    expect(await new DynamoDbDecisionLog({ client: dynamo.client, tableName: t }).since(0)).toEqual([]);
  });

  it('writes conditionally on the revision it read: none stored is revision 0, a stale one loses', async () => {
    const t = await dynamo.createTable('decisions');
    const store = new DynamoDbLearnedStateStore({ client: dynamo.client, tableName: t });
    expect(await store.put({ ...emptyLearnedState(1), rev: 1 }, { expectedRev: 1 })).toBe(false);
    expect(await store.put({ ...emptyLearnedState(1), rev: 1 }, { expectedRev: 0 })).toBe(true);
    expect(await store.put({ ...emptyLearnedState(2), rev: 1 }, { expectedRev: 0 })).toBe(false);
    expect(await store.put({ ...emptyLearnedState(3), rev: 2, watermark: 9 }, { expectedRev: 1 })).toBe(true);
    expect(await store.get()).toEqual({ ...emptyLearnedState(3), rev: 2, watermark: 9 });
  });

  it('the cached reader compiles what it loads and reloads after its TTL', async () => {
    const t = await dynamo.createTable('decisions');
    const store = new DynamoDbLearnedStateStore({ client: dynamo.client, tableName: t });
    let now = 0;
    const cached = new CachedLearnedState({ source: store, ttlMs: 1000, now: () => now });
    expect(await cached.get()).toBeUndefined();
    await store.put(emptyLearnedState(5));
    expect(await cached.get()).toBeUndefined();
    now = 1001;
    expect((await cached.get())?.updated_at).toBe(5);
  });
});
