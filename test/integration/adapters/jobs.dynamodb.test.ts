// The job store and the idempotency claims over DynamoDB (dynalite, real SDK client): the job's
// conditional transitions (queued -> running -> final once; dead-lettered only from queued) and
// Idempotency-Key claims (first writer wins, concurrent claims agree, expired claims are reused);
// and that the deepest body the API accepts, and any answer, is an item AWS would store.
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbIdempotencyStore, DynamoDbJobStore, idempotencyKey, jobKey } from '@switchyard/adapters';
import { type IdempotencyRecord, type Job, jsonTextDepth } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

let dynamo: LocalDynamo;
let table: string;
let clock = 1_700_000_000_000;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  table = await dynamo.createTable('jobs');
});
afterAll(async () => {
  await dynamo.stop();
});

const store = () => new DynamoDbJobStore({ client: dynamo.client, tableName: table, now: () => clock });

function job(id: string): Job {
  return {
    id,
    tenant: 't',
    status: 'queued',
    priority: 'normal',
    created_at: clock,
    updated_at: clock,
    request: { kind: 'chat', body: { model: 'm' }, headers: { 'x-team': 'a' } },
    allowed_models: ['m'],
    attempts: [],
  };
}

describe('DynamoDbJobStore', () => {
  it('markStarted: queued -> running with the execution ARN, idempotent, never out of a final state', async () => {
    const jobs = store();
    expect(await jobs.create(job('s1'))).toBe(true);
    expect(await jobs.create(job('s1'))).toBe(false);
    clock += 1000;
    expect(await jobs.markStarted('s1', 'arn:exec:s1')).toBe(true);
    clock += 1000;
    expect(await jobs.markStarted('s1', 'arn:exec:s1')).toBe(true);
    const running = await jobs.get('s1');
    expect(running).toMatchObject({
      status: 'running',
      execution_arn: 'arn:exec:s1',
      started_at: 1_700_000_001_000,
      request: { headers: { 'x-team': 'a' } },
      allowed_models: ['m'],
    });
    expect(await jobs.finish('s1', { status: 'succeeded', result: { ok: 1 } })).toBe(true);
    expect(await jobs.markStarted('s1', 'arn:exec:other')).toBe(false);
    expect(await jobs.get('s1')).toMatchObject({ status: 'succeeded', execution_arn: 'arn:exec:s1' });
    expect(await jobs.markStarted('missing', 'arn')).toBe(false);
  });

  it('finish from a given status only: dead-lettering a started job changes nothing', async () => {
    const jobs = store();
    await jobs.create(job('d1'));
    await jobs.create(job('d2'));
    await jobs.markStarted('d2', 'arn:exec:d2');
    const dead = { status: 'dead-lettered' as const, error: { code: 'dead_lettered', message: 'why' } };
    expect(await jobs.finish('d1', dead, 'queued')).toBe(true);
    expect(await jobs.finish('d1', dead, 'queued')).toBe(false);
    expect(await jobs.finish('d2', dead, 'queued')).toBe(false);
    expect(await jobs.get('d1')).toMatchObject({ status: 'dead-lettered', error: { code: 'dead_lettered' } });
    expect((await jobs.get('d2'))?.status).toBe('running');
    // A final job is final: the workflow cannot overwrite the dead-lettering.
    expect(await jobs.finish('d1', { status: 'succeeded', result: {} })).toBe(false);
    expect(await jobs.finish('missing', dead, 'queued')).toBe(false);
  });

  it('records attempts while the job runs, never after it is final', async () => {
    const jobs = store();
    await jobs.create(job('a1'));
    const attempt = { endpoint: 'e', model: 'm', version: 'v1', outcome: 'success' as const, duration_ms: 3 };
    await jobs.appendAttempt('a1', attempt);
    await jobs.finish('a1', { status: 'failed', error: { code: 'workflow_aborted', message: 'stopped' } });
    await jobs.appendAttempt('a1', { ...attempt, duration_ms: 4 });
    expect((await jobs.get('a1'))?.attempts).toEqual([attempt]);
  });
});

/** DynamoDB's nesting level of an attribute: 1 for a scalar, 1 more for each map or list around it. */
function levels(v: AttributeValue): number {
  if (v.M) return 1 + Math.max(0, ...Object.values(v.M).map(levels));
  if (v.L) return 1 + Math.max(0, ...v.L.map(levels));
  return 1;
}

/** `depth` levels of JSON (objects and arrays by turns), as JSON.parse returns it. */
function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

describe('DynamoDbJobStore: what AWS would store', () => {
  // DynamoDB refuses an attribute nested deeper than 32 levels (31 maps or lists around a value)
  // and numbers outside 1e-130..1e126, which dynalite checks too.
  it('stores the deepest accepted body (64 levels) and a 64-level answer in items nested 3 levels deep', async () => {
    const jobs = store();
    const body = { model: 'auto', messages: [{ role: 'user', content: 'x' }], extra: nested(63, 'leaf') };
    expect(jsonTextDepth(JSON.stringify(body))).toBe(64);
    const deep: Job = { ...job('deep1'), request: { kind: 'chat', body, headers: { 'x-team': 'a' } } };
    expect(await jobs.create(deep)).toBe(true);
    const answer = { body: nested(64, 1), endpoint: 'e', model: 'm', version: 'v1' };
    expect(await jobs.finish('deep1', { status: 'succeeded', result: answer })).toBe(true);

    const raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });
    const item = (
      await raw.send(new GetItemCommand({ TableName: table, Key: { pk: { S: jobKey('deep1') } } }))
    ).Item as Record<string, AttributeValue>;
    raw.destroy();
    const depths = Object.fromEntries(Object.entries(item).map(([k, v]) => [k, levels(v)]));
    expect(depths).toMatchObject({ request: 3, result_json: 1 });
    expect(Math.max(...Object.values(depths))).toBe(3);
    // Stored as maps, `request` would have been 66 levels and `result` 66: refused by AWS.
    expect(await jobs.get('deep1')).toMatchObject({ request: { kind: 'chat', body }, result: answer });
  });

  it('round-trips numbers DynamoDB cannot hold as numbers', async () => {
    const jobs = store();
    const body = { model: 'auto', messages: [{ role: 'user', content: 'x' }], huge: 1e300, tiny: 1e-200 };
    // As numbers, the SDK's marshaller refuses the first and DynamoDB the second.
    const put = (n: number) =>
      dynamo.client.send(new PutCommand({ TableName: table, Item: { pk: 'raw', n } }));
    await expect(put(1e300)).rejects.toThrow(/greater than Number.MAX_SAFE_INTEGER/);
    await expect(put(1e-200)).rejects.toThrow(/Number underflow/);
    expect(await jobs.create({ ...job('num1'), request: { kind: 'chat', body } })).toBe(true);
    expect(await jobs.finish('num1', { status: 'succeeded', result: { score: 1e-200 } })).toBe(true);
    expect(await jobs.get('num1')).toMatchObject({ request: { body }, result: { score: 1e-200 } });
  });
});

describe('DynamoDbIdempotencyStore', () => {
  const claim = (over: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
    tenant: 't',
    key: 'k',
    request_hash: 'h1',
    job_id: 'job_1',
    created_at: clock,
    ...over,
  });

  it('the first claim wins; later ones get it back', async () => {
    const idem = new DynamoDbIdempotencyStore({ client: dynamo.client, tableName: table, now: () => clock });
    expect(await idem.claim(claim())).toEqual({ claimed: true });
    expect(await idem.claim(claim({ job_id: 'job_2', request_hash: 'h2' }))).toEqual({
      claimed: false,
      existing: claim(),
    });
    expect(await idem.claim(claim({ tenant: 'other', job_id: 'job_3' }))).toEqual({ claimed: true });
  });

  it('concurrent claims of one key agree on one job id', async () => {
    const idem = new DynamoDbIdempotencyStore({ client: dynamo.client, tableName: table, now: () => clock });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => idem.claim(claim({ key: 'race', job_id: `job_race_${i}` }))),
    );
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    const winner = results.findIndex((r) => r.claimed);
    for (const r of results) if (!r.claimed) expect(r.existing.job_id).toBe(`job_race_${winner}`);
  });

  it('an expired claim (TTL not yet applied) counts as absent', async () => {
    let now = clock;
    const idem = new DynamoDbIdempotencyStore({
      client: dynamo.client,
      tableName: table,
      ttlSeconds: 60,
      now: () => now,
    });
    expect((await idem.claim(claim({ key: 'old', job_id: 'job_old' }))).claimed).toBe(true);
    now += 61_000;
    expect(await idem.claim(claim({ key: 'old', job_id: 'job_new' }))).toEqual({ claimed: true });
    expect(idempotencyKey('t', 'old')).toMatch(/^idem#[0-9a-f]{64}$/);
    expect(idempotencyKey('t', 'old')).not.toBe(idempotencyKey('u', 'old'));
  });
});
