// The job store and the idempotency claims over DynamoDB (dynalite, real SDK client): the job's
// conditional transitions (queued -> running -> final once; dead-lettered only from queued) and
// Idempotency-Key claims (first writer wins, concurrent claims agree, expired claims are reused).
import { DynamoDbIdempotencyStore, DynamoDbJobStore, idempotencyKey } from '@switchyard/adapters';
import type { IdempotencyRecord, Job } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

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
