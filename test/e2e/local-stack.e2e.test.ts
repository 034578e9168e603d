// End to end through the local stack with the official `openai` client: API Gateway emulation,
// the authorizer, the router, the core, the adapters, DynamoDB/SQS/Step Functions stand-ins and
// simulated endpoints. Puts the serving endpoint down and sees the next request served elsewhere.
// The daily usage export, run by the local scheduler as `npm start` runs it, writes to the local
// usage archive bucket (read back with the real S3 client) with no background error.
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client, DynamoDbUsageStore } from '@switchyard/adapters';
import { previousUtcDay, type UsageRecord, utcDayRange } from '@switchyard/core';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT, type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { LOCAL_AWS } from '../support/local-aws.ts';
import { localClients, named, openAiClient, runSchedule, setFault } from '../support/local-stack.helpers.ts';

let stack: LocalStack;
let client: OpenAI;
const backgroundErrors: unknown[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    schedules: false,
    logLevel: 'ERROR',
    retryIntervalOverrideMs: 5,
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0' },
    onError: (err) => backgroundErrors.push(err),
  });
  client = openAiClient(stack);
});

afterAll(async () => {
  await stack?.stop();
});

describe('local stack, end to end', () => {
  it('serves a chat completion through the openai client, with routing headers', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'llama-3-8b', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 16 })
      .withResponse();
    expect(data.choices[0]?.message.content).toContain('Hello there');
    expect(data.model).toBe('llama-3-8b');
    expect(response.headers.get('x-switchyard-model')).toBe('llama-3-8b@v1');
    expect(['sm-llama-8b', 'gpu-a-llama-8b', 'gpu-b-llama-8b']).toContain(
      response.headers.get('x-switchyard-endpoint'),
    );
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('keeps serving when the serving endpoint goes down: the next request goes elsewhere, no error', async () => {
    const first = await client.chat.completions
      .create({ model: 'llama-3-8b', messages: [{ role: 'user', content: 'first' }] })
      .withResponse();
    const serving = first.response.headers.get('x-switchyard-endpoint') as string;
    await setFault(stack, serving, 'down');
    try {
      for (let i = 0; i < 10; i++) {
        const next = await client.chat.completions
          .create({ model: 'llama-3-8b', messages: [{ role: 'user', content: `after ${i}` }] })
          .withResponse();
        expect(next.response.headers.get('x-switchyard-endpoint')).not.toBe(serving);
        expect(next.data.choices[0]?.message.content).toContain(`after ${i}`);
      }
    } finally {
      await setFault(stack, serving, 'ok');
    }
  });

  it('lists models and aliases for GET /v1/models', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['llama-3-8b', 'llama-3-8b@v1', 'auto', 'support']));
  });

  it('rejects a missing or wrong key with 401 in the OpenAI error shape', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer sk-sy-wrong-key-0000000000' },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${stack.url}/v1/models`, { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { type: string; message: string; code: string | null } };
      expect(body.error.type).toBe('authentication_error');
      expect(body.error.message).toBeTruthy();
    }
    const viaHeader = await fetch(`${stack.url}/v1/models`, { headers: { 'x-api-key': stack.apiKey } });
    expect(viaHeader.status).toBe(200);
  });

  it('answers bad input with a 4xx naming the problem, never a 5xx', async () => {
    const bad = await client.chat.completions.create({ model: 'llama-3-8b', messages: [] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages');
    const unknown = await client.chat.completions
      .create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    const notJson = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { message: string } }).error.message).toMatch(
      /not valid JSON/,
    );
  });

  it('shows endpoints, traffic, decisions and cost on the local dashboard', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'dashboard' }] })
      .withResponse();
    const page = await fetch(`${stack.url}/_local/dashboard`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('/_local/state');
    const state = (await (await fetch(`${stack.url}/_local/state`)).json()) as {
      totals: { requests: number; cost_usd: number };
      endpoints: Array<{ id: string; served: number; fault: string }>;
      decisions: Array<{ endpoint?: string; model?: string; policy?: string; status: number }>;
    };
    expect(state.totals.requests).toBeGreaterThan(0);
    expect(state.totals.cost_usd).toBeGreaterThan(0);
    expect(state.endpoints.map((e) => e.id)).toEqual(
      expect.arrayContaining(['sm-llama-8b', 'gpu-a-llama-8b']),
    );
    const served = response.headers.get('x-switchyard-endpoint');
    expect(state.endpoints.find((e) => e.id === served)?.served).toBeGreaterThan(0);
    expect(state.decisions[0]).toEqual(
      expect.objectContaining({ endpoint: served, policy: 'auto', status: 200 }),
    );
  });
});

describe('the daily usage export on the local stack', () => {
  it('runs on its schedule and writes the day to the local usage archive bucket, no background error', async () => {
    const day = previousUtcDay(Date.now());
    const record: UsageRecord = {
      tenant: LOCAL_TENANT.id,
      key_id: 'key_export',
      request_id: 'req-export-1',
      route: 'chat',
      model: 'llama-3-8b',
      endpoint: 'sm-llama-8b',
      prompt_tokens: 12,
      completion_tokens: 34,
      cost_nanos: 4_600,
      cost_usd: 0.0000046,
      latency_ms: 7,
      attempts: 1,
      status: 'ok',
      at: utcDayRange(day).fromMs + 3_600_000,
    };
    const clients = localClients(stack);
    const s3 = createS3Client({ ...LOCAL_AWS, endpoint: stack.endpoints.s3, forcePathStyle: true });
    try {
      await new DynamoDbUsageStore({
        client: clients.doc,
        tableName: named(stack.resources.tables, 'usage'),
      }).put(record);

      const result = await runSchedule(stack, 'UsageExport');
      expect(backgroundErrors.map(String)).toEqual([]);
      expect(result).toEqual({ day, records: 1, tenants: 1 });

      const bucket = named(stack.resources.buckets, 'usagearchive');
      expect(bucket).toBe(bucket.toLowerCase());
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `usage/dt=${day}/` }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([
        `usage/dt=${day}/_manifest.json`,
        `usage/dt=${day}/part-local-00000.jsonl`,
      ]);
      const part = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: `usage/dt=${day}/part-local-00000.jsonl` }),
      );
      const lines = ((await part.Body?.transformToString()) ?? '').split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toBe('');
      expect(JSON.parse(lines[0] ?? '')).toEqual(record);
    } finally {
      s3.destroy();
      clients.destroy();
    }
  });
});
