// The admin surface on the local stack: `/admin/*` needs the admin credential (the local stand-in
// for IAM): a consumer key gets 403, no credential the 404 an unsigned IAM route gets in AWS;
// registry writes are validated by the registry schema (400
// naming the field, the whole registry re-checked, If-Match revs), and the router honours them
// within one registry-cache TTL (0 here).
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import {
  adminClient,
  call,
  openAiClient,
  registryFile,
  runHealthCheck,
} from '../support/local-stack.helpers.ts';

const REGISTRY = `
models:
  - { id: m1, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
endpoints:
  - { id: e1, model: m1, version: v1, kind: openai-http, target: "http://e1.internal/v1", region: us-east-1 }
  - { id: e2, model: m1, version: v1, kind: openai-http, target: "http://e2.internal/v1", region: us-east-1 }
policies:
  - { name: chat, match: { model: chat }, models: [m1], strategy: weighted, fallback: { count: 1 } }
local:
  defaults: { latency_ms: 1, jitter_ms: 0 }
`;

let stack: LocalStack;
let admin: ReturnType<typeof adminClient>;
let client: OpenAI;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    logLevel: 'ERROR',
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0' },
  });
  admin = adminClient(stack);
  client = openAiClient(stack);
});

afterAll(async () => {
  await stack?.stop();
});

type ErrorBody = { error: { message: string; param: string | null; code: string | null } };

describe('admin auth', () => {
  it('answers 403 to a consumer key, 404 to no credential, and 200 to the admin key', async () => {
    const consumer = await call<ErrorBody>('GET', `${stack.url}/admin/health`, stack.apiKey);
    expect(consumer.status).toBe(403);
    // API Gateway answers an unsigned call to an IAM route as it answers an unknown route.
    const none = await call<ErrorBody>('GET', `${stack.url}/admin/health`, undefined);
    expect(none.status).toBe(404);
    expect(none.body.error).toMatchObject({ message: 'Invalid URL (GET /admin/health)', code: null });
    const write = await call('PUT', `${stack.url}/admin/endpoints/e1`, stack.apiKey, { state: 'disabled' });
    expect(write.status).toBe(403);
    const ok = await admin.get('/admin/health');
    expect(ok.status).toBe(200);
  });

  it('keeps the admin key off the consumer routes', async () => {
    const res = await call('POST', `${stack.url}/v1/chat/completions`, stack.adminKey, {
      model: 'chat',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(401);
  });
});

describe('GET /admin/health', () => {
  it('lists every endpoint with its state, circuit, latency, error rate, freshness and why', async () => {
    const before = await admin.get<{ endpoints: Array<Record<string, unknown>> }>('/admin/health');
    expect(before.body.endpoints.map((e) => e.endpoint).sort()).toEqual(['e1', 'e2']);
    expect(before.body.endpoints[0]).toMatchObject({ status: 'unknown', fresh: false, routable: true });
    expect(String(before.body.endpoints[0]?.why)).toContain('never measured');

    await runHealthCheck(stack);
    const after = await admin.get<{ fresh_ms: number; endpoints: Array<Record<string, unknown>> }>(
      '/admin/health',
    );
    expect(after.body.fresh_ms).toBe(90_000);
    for (const e of after.body.endpoints) {
      expect(e).toMatchObject({
        status: 'up',
        fresh: true,
        circuit: 'closed',
        routable: true,
        error_rate: 0,
      });
      expect(typeof e.latency_ms).toBe('number');
      expect(e.age_ms as number).toBeGreaterThanOrEqual(0);
      expect(String(e.why)).toMatch(/^up: GET \/e[12]\/v1\/models → HTTP 200$/);
    }
  });
});

describe('registry writes', () => {
  it('names the invalid field (400), for the item and for the registry it would make', async () => {
    const badKind = await admin.put<ErrorBody>('/admin/endpoints/e3', {
      model: 'm1',
      version: 'v1',
      kind: 'grpc',
      target: 'x',
      region: 'us-east-1',
    });
    expect(badKind.status).toBe(400);
    expect(badKind.body.error.param).toBe('kind');
    expect(badKind.body.error.message).toContain('kind');

    const unknownModel = await admin.put<ErrorBody>('/admin/endpoints/e3', {
      model: 'nope',
      version: 'v1',
      kind: 'openai-http',
      target: 'http://e3.internal/v1',
      region: 'us-east-1',
    });
    expect(unknownModel.status).toBe(400);
    expect(unknownModel.body.error.param).toBe('model');
    expect(unknownModel.body.error.message).toContain('unknown model "nope"');

    const mismatch = await admin.put<ErrorBody>('/admin/policies/chat', { name: 'other' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.param).toBe('name');

    const badModel = await admin.put<ErrorBody>('/admin/models/m1', {
      version: 'v2',
      tasks: [],
      context_window: 1,
      regions: ['x'],
    });
    expect(badModel.status).toBe(400);
    expect(badModel.body.error.param).toBe('tasks');
  });

  it('writes a model version, an endpoint and a policy; lists them with revs; If-Match guards', async () => {
    const model = await admin.put<{ rev: number; key: string }>('/admin/models/m1', {
      version: 'v2',
      tasks: ['chat'],
      context_window: 8192,
      regions: ['us-east-1'],
      status: 'staged',
    });
    expect(model.status).toBe(201);
    expect(model.body.key).toBe('m1@v2');
    const models = await admin.get<{ data: Array<{ key: string; rev: number }> }>('/admin/models');
    expect(models.body.data.map((d) => d.key).sort()).toEqual(['m1@v1', 'm1@v2']);

    const policies = await admin.get<{
      data: Array<{ key: string; rev: number; policy: Record<string, unknown> }>;
    }>('/admin/policies');
    const chat = policies.body.data.find((d) => d.key === 'chat');
    expect(chat?.rev).toBe(1);
    const stale = await admin.put<ErrorBody>(
      '/admin/policies/chat',
      { ...chat?.policy, priority: 3 },
      { 'if-match': '7' },
    );
    expect(stale.status).toBe(409);
    const fresh = await admin.put<{ rev: number }>(
      '/admin/policies/chat',
      { ...chat?.policy, priority: 3 },
      { 'if-match': '1' },
    );
    expect(fresh.status).toBe(200);
    expect(fresh.body.rev).toBe(2);
  });

  it('the router honours an endpoint write within the registry-cache TTL', async () => {
    const served = async () => {
      const { response } = await client.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      return response.headers.get('x-switchyard-endpoint');
    };
    const put = await admin.put('/admin/endpoints/e1', {
      model: 'm1',
      version: 'v1',
      kind: 'openai-http',
      target: `${stack.sim.url}/e1/v1`,
      region: 'us-east-1',
      state: 'disabled',
    });
    expect(put.status).toBe(200);
    const seen = new Set<string | null>();
    for (let i = 0; i < 12; i++) seen.add(await served());
    expect([...seen]).toEqual(['e2']);
  });
});
