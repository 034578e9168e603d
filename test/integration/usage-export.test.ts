// The daily usage export with the real clients: records in the usage table (dynalite, real
// DynamoDB client) exported by exportUsageDay to the local S3 server, read back with the real
// @aws-sdk/client-s3 (ListObjectsV2, GetObject): JSON lines partitioned by day, one part series
// per tenant (a day's first and last millisecond in, the next day's first out), parts of at most
// `maxPerPart` lines, a manifest with the figures, nothing for a tenant without records, and a
// re-run that overwrites the same objects (no duplicate lines).
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDbTenantStore, DynamoDbUsageStore, S3ObjectWriter } from '@switchyard/adapters';
import { newTenant, previousUtcDay, type UsageRecord, utcDayRange } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportUsageDay } from '../../functions/usage-export/usage-export.service.ts';
import { type S3Server, startS3Server } from '../../infra/local/s3.server.ts';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../support/local-aws.ts';

const DAY = '2026-11-30';
const START = Date.UTC(2026, 10, 30); // 1_796_601_600_000
let dynamo: LocalDynamo;
let s3server: S3Server;
let s3: S3Client;
let deps: Parameters<typeof exportUsageDay>[0];

const rec = (tenant: string, n: number, at: number): UsageRecord => ({
  tenant,
  key_id: 'key_a',
  request_id: `${tenant}-${n}`,
  route: 'chat',
  model: 'm1',
  endpoint: 'e1',
  prompt_tokens: 10,
  completion_tokens: n,
  cost_nanos: 100 * n,
  cost_usd: (100 * n) / 1e6,
  latency_ms: 3,
  attempts: 1,
  status: 'ok',
  at,
});

async function read(key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'exports', Key: key }));
  return (await out.Body?.transformToString()) ?? '';
}

async function list(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key as string);
}

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  s3server = await startS3Server();
  s3 = new S3Client({ ...LOCAL_AWS, endpoint: s3server.url, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'exports' }));
  const tenants = new DynamoDbTenantStore({
    client: dynamo.client,
    tableName: await dynamo.createTable('tenants'),
  });
  const usage = new DynamoDbUsageStore({
    client: dynamo.client,
    tableName: await dynamo.createTable('usage'),
  });
  for (const id of ['acme', 'beta', 'idle']) {
    await tenants.create(newTenant({ id, name: id, plan: 'standard' }, 'whsec_0123456789abcdef', 1));
  }
  await usage.put(rec('acme', 1, START));
  await usage.put(rec('acme', 2, START + 3_600_000));
  await usage.put(rec('acme', 3, START + 86_400_000 - 1));
  await usage.put(rec('acme', 4, START + 86_400_000)); // the next day
  await usage.put(rec('acme', 5, START - 1)); // the day before
  await usage.put(rec('beta', 6, START + 5));
  deps = {
    tenants,
    usage,
    objects: new S3ObjectWriter({ client: s3, bucket: 'exports' }),
    now: () => START + 86_400_000 + 1_000, // 2026-12-01T00:00:01Z: yesterday is the 30th
    maxPerPart: 2,
  };
});
afterAll(async () => {
  s3.destroy();
  await s3server.stop();
  await dynamo.stop();
});

describe('exportUsageDay', () => {
  it('exports yesterday: JSON lines per tenant, parts of at most maxPerPart lines, then the manifest', async () => {
    const manifest = await exportUsageDay(deps);
    expect(manifest).toEqual({
      day: DAY,
      records: 4,
      cost_nanos: 1_200,
      tenants: [
        {
          tenant: 'acme',
          records: 3,
          cost_nanos: 600,
          parts: ['usage/dt=2026-11-30/part-acme-00000.jsonl', 'usage/dt=2026-11-30/part-acme-00001.jsonl'],
        },
        {
          tenant: 'beta',
          records: 1,
          cost_nanos: 600,
          parts: ['usage/dt=2026-11-30/part-beta-00000.jsonl'],
        },
      ],
    });
    expect(await list('usage/dt=2026-11-30/')).toEqual([
      'usage/dt=2026-11-30/_manifest.json',
      'usage/dt=2026-11-30/part-acme-00000.jsonl',
      'usage/dt=2026-11-30/part-acme-00001.jsonl',
      'usage/dt=2026-11-30/part-beta-00000.jsonl',
    ]);
    const first = (await read('usage/dt=2026-11-30/part-acme-00000.jsonl')).split('\n');
    expect(first).toHaveLength(3); // two lines and the final newline
    expect(first[2]).toBe('');
    expect(JSON.parse(first[0] as string)).toEqual(rec('acme', 1, START));
    expect(JSON.parse(first[1] as string)).toMatchObject({ request_id: 'acme-2' });
    expect(await read('usage/dt=2026-11-30/part-acme-00001.jsonl')).toBe(
      `${JSON.stringify(rec('acme', 3, START + 86_400_000 - 1))}\n`,
    );
    expect(JSON.parse(await read('usage/dt=2026-11-30/_manifest.json'))).toEqual(manifest);
  });

  it('exports a named day again onto the same objects, never twice', async () => {
    await exportUsageDay(deps, DAY);
    const lines = (await Promise.all((await list('usage/dt=2026-11-30/part-')).map(read)))
      .join('')
      .trim()
      .split('\n');
    expect(lines.map((l) => (JSON.parse(l) as UsageRecord).request_id).sort()).toEqual([
      'acme-1',
      'acme-2',
      'acme-3',
      'beta-6',
    ]);
    const next = await exportUsageDay(deps, '2026-12-01');
    expect(next).toMatchObject({ day: '2026-12-01', records: 1 });
    expect(await list('usage/dt=2026-12-01/')).toEqual([
      'usage/dt=2026-12-01/_manifest.json',
      'usage/dt=2026-12-01/part-acme-00000.jsonl',
    ]);
  });

  it('writes only a manifest for a day without usage, and refuses a day that is not one', async () => {
    expect(await exportUsageDay(deps, '2026-10-01')).toEqual({
      day: '2026-10-01',
      records: 0,
      cost_nanos: 0,
      tenants: [],
    });
    expect(await list('usage/dt=2026-10-01/')).toEqual(['usage/dt=2026-10-01/_manifest.json']);
    await expect(exportUsageDay(deps, '2026-02-30')).rejects.toThrow(RangeError);
  });
});

describe('export days', () => {
  it('previousUtcDay is the UTC day before, at both edges of a day', () => {
    expect(previousUtcDay(START)).toBe('2026-11-29');
    expect(previousUtcDay(START - 1)).toBe('2026-11-28');
    expect(previousUtcDay(START + 86_400_000 - 1)).toBe('2026-11-29');
    expect(utcDayRange('2026-11-30')).toEqual({ fromMs: START, toMs: START + 86_400_000 });
  });
});
