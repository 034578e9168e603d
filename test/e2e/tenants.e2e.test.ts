// Tenants, keys and usage on the local stack, through the admin API (the admin key is the local
// stand-in for IAM) and the consumer API:
// - the lifecycle: create a tenant (201, the webhook secret shown this once), create a key (201
//   `{key_id, key}`), call the API with it, list keys (no secret, no hash), revoke it: the next
//   call is refused by the authorizer (this stack runs the authorizer's cache TTL at 0 ms; the
//   deployed default is 10 s, the figure the answer reports there); delete the tenant (its keys
//   revoked with it);
// - plans: a free-tier key is throttled at the free plan's burst (10) where a standard key is not;
//   a plan change moves the tenant's keys;
// - `GET /v1/usage` shows a tenant only its own records, in the admin route's shape; bad
//   from/to/group_by are 400s naming the parameter;
// - `npm run keys` / `npm run tenants` (their commands, in process) drive the same routes.
import { DynamoDbUsageStore, hashApiKey } from '@switchyard/adapters';
import type { UsageRecord } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT, type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { AdminCommandError, keysCommand, tenantsCommand } from '../../infra/scripts/admin.commands.ts';
import { localAdminTransport } from '../../infra/scripts/admin-client.ts';
import { adminClient, call, localClients, named, registryFile } from '../support/local-stack.helpers.ts';

const REGISTRY = `
models:
  - { id: m1, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
  - id: m2
    version: v1
    tasks: [chat]
    context_window: 4096
    regions: [us-east-1]
    data_classifications: [public, internal, pii, phi]
    compliance: [hipaa]
endpoints:
  - { id: e1, model: m1, version: v1, kind: openai-http, target: "http://e1.internal/v1", region: us-east-1 }
  - { id: e2, model: m2, version: v1, kind: openai-http, target: "http://e2.internal/v1", region: us-east-1 }
policies:
  - { name: chat, match: { model: chat }, models: [m1] }
  - { name: any, match: { model: any }, strategy: cost-first, models: [m1, m2] }
local:
  defaults: { latency_ms: 1, jitter_ms: 0 }
`;

let stack: LocalStack;
let admin: ReturnType<typeof adminClient>;
let clients: ReturnType<typeof localClients>;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    logLevel: 'SILENT',
    env: {
      REGISTRY_CACHE_TTL_MS: '0',
      HEALTH_CACHE_TTL_MS: '0',
      API_KEY_CACHE_TTL_MS: '0',
      TENANT_CACHE_TTL_MS: '0',
    },
  });
  admin = adminClient(stack);
  clients = localClients(stack);
});

afterAll(async () => {
  clients?.destroy();
  await stack?.stop();
});

type Err = { error: { message: string; type: string; param: string | null; code: string | null } };
const del = (path: string) => call<Record<string, unknown>>('DELETE', `${stack.url}${path}`, stack.adminKey);
const patch = (path: string, body: unknown) =>
  call<Record<string, unknown> & Err>('PATCH', `${stack.url}${path}`, stack.adminKey, body);
const models = (key: string) => call<Err>('GET', `${stack.url}/v1/models`, key);

describe('tenant and key lifecycle', () => {
  it('creates a tenant, a key that works, lists keys without secrets, revokes it, deletes the tenant', async () => {
    const created = await admin.post<Record<string, unknown>>('/admin/tenants', {
      id: 'acme',
      name: 'Acme',
      plan: 'standard',
      budget: { limit_usd: 100, period: 'month' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      object: 'tenant',
      id: 'acme',
      name: 'Acme',
      plan: 'standard',
      budget: { limit_usd: 100, period: 'month' },
      created_at: expect.any(Number),
      updated_at: created.body.created_at,
      revision: created.body.created_at,
      webhook_secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    const again = await admin.post<Err>('/admin/tenants', { id: 'acme', name: 'Acme again' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ param: 'id', code: 'tenant_exists' });

    const shown = await admin.get('/admin/tenants/acme');
    expect(shown.status).toBe(200);
    expect(shown.body).not.toHaveProperty('webhook_secret');
    const listed = await admin.get<{ data: Array<{ id: string }> }>('/admin/tenants');
    expect(listed.body.data.map((t) => t.id)).toEqual(expect.arrayContaining(['acme', 'local']));
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');

    const made = await admin.post<{ key_id: string; key: string; created_at: number }>(
      '/admin/tenants/acme/keys',
      { name: 'ci' },
    );
    expect(made.status).toBe(201);
    expect(made.body).toEqual({
      object: 'api_key',
      key_id: expect.stringMatching(/^key_[0-9a-f]{32}$/),
      key: expect.stringMatching(/^sk-sy-[A-Za-z0-9_-]{43}$/),
      tenant: 'acme',
      name: 'ci',
      created_at: expect.any(Number),
      disabled: false,
    });
    const { key, key_id } = made.body;
    expect((await models(key)).status).toBe(200);

    const keys = await admin.get<{ data: Array<Record<string, unknown>> }>('/admin/tenants/acme/keys');
    expect(keys.body.data).toEqual([
      {
        object: 'api_key',
        key_id,
        tenant: 'acme',
        name: 'ci',
        created_at: made.body.created_at,
        disabled: false,
      },
    ]);
    const raw = JSON.stringify(keys.body);
    expect(raw).not.toContain(key);
    expect(raw).not.toContain(hashApiKey(key));
    expect(raw).not.toContain('usage_');

    const revoked = await del(`/admin/tenants/acme/keys/${key_id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ key_id, disabled: true, revoked_within_seconds: 0 });
    // The authorizer itself refuses it (its message; the gateway's own says "Invalid API key.").
    const refused = await models(key);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({ code: 'invalid_api_key', type: 'authentication_error' });
    expect(refused.body.error.message).toMatch(/^Invalid or missing API key/);
    // Revoking again is a no-op; the key stays listed, disabled.
    expect((await del(`/admin/tenants/acme/keys/${key_id}`)).status).toBe(200);
    const after = await admin.get<{ data: Array<{ disabled: boolean }> }>('/admin/tenants/acme/keys');
    expect(after.body.data.map((k) => k.disabled)).toEqual([true]);

    const second = await admin.post<{ key: string }>('/admin/tenants/acme/keys', {});
    expect((await models(second.body.key)).status).toBe(200);
    const gone = await del('/admin/tenants/acme');
    expect(gone.body).toEqual({
      object: 'tenant',
      id: 'acme',
      deleted: true,
      keys_revoked: 1,
      revoked_within_seconds: 0,
    });
    expect((await models(second.body.key)).status).toBe(401);
    expect((await admin.get('/admin/tenants/acme')).status).toBe(404);
    expect((await admin.get('/admin/tenants/acme/keys')).status).toBe(404);
  });

  it('answers 404 for unknown tenants and keys, and for a key of another tenant', async () => {
    await admin.post('/admin/tenants', { id: 'k-owner', name: 'Owner' });
    await admin.post('/admin/tenants', { id: 'k-other', name: 'Other' });
    const k = await admin.post<{ key_id: string; key: string }>('/admin/tenants/k-owner/keys', {});
    const wrong = await del(`/admin/tenants/k-other/keys/${k.body.key_id}`);
    expect(wrong.status).toBe(404);
    expect((wrong.body as Err).error).toMatchObject({ param: 'key_id', code: 'not_found' });
    expect((await models(k.body.key)).status).toBe(200);
    expect((await del(`/admin/tenants/k-owner/keys/key_${'0'.repeat(32)}`)).status).toBe(404);
    expect((await admin.get('/admin/tenants/nobody')).status).toBe(404);
    expect((await admin.get('/admin/tenants/nobody/usage')).status).toBe(404);
    expect((await admin.post('/admin/tenants/nobody/keys', {})).status).toBe(404);
  });

  it('keeps a key within its tenant allow-list', async () => {
    await admin.post('/admin/tenants', { id: 'narrow', name: 'Narrow', allowed_models: ['m1'] });
    const outside = await admin.post<Err>('/admin/tenants/narrow/keys', { allowed_models: ['m9'] });
    expect(outside.status).toBe(400);
    expect(outside.body.error.param).toBe('allowed_models');
    const inherited = await admin.post<{ allowed_models?: string[] }>('/admin/tenants/narrow/keys', {});
    // It carries no copy: the tenant's list is read at request time.
    expect(inherited.status).toBe(201);
    expect(inherited.body.allowed_models).toBeUndefined();
  });
});

describe("the tenant record bounds every request of the tenant's keys", () => {
  const chat = (key: string, model: string, headers: Record<string, string> = {}) =>
    call<Err>(
      'POST',
      `${stack.url}/v1/chat/completions`,
      key,
      { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 },
      headers,
    );
  const served = async (key: string, model: string, headers: Record<string, string> = {}) => {
    const r = await chat(key, model, headers);
    return r.status === 200 ? r.headers.get('x-switchyard-model') : r.status;
  };

  it("applies a PATCH of the tenant's allowed_models to keys made before it (this stack's tenant cache TTL: 0; deployed: 5 s)", async () => {
    await admin.post('/admin/tenants', { id: 'allow', name: 'Allow', allowed_models: ['m1'] });
    const inherits = (await admin.post<{ key: string }>('/admin/tenants/allow/keys', {})).body.key;
    const narrowed = (
      await admin.post<{ key: string }>('/admin/tenants/allow/keys', { allowed_models: ['m1'] })
    ).body.key;
    expect(await served(inherits, 'm1')).toBe('m1@v1');
    const refused = await chat(inherits, 'm2');
    // A model the caller may not use is one it cannot see (as OpenAI answers).
    expect(refused.status).toBe(404);
    expect(refused.body.error).toMatchObject({ code: 'model_not_found', param: 'model' });

    expect((await patch('/admin/tenants/allow', { allowed_models: ['m1', 'm2'] })).status).toBe(200);
    expect(await served(inherits, 'm2')).toBe('m2@v1');
    expect(await served(narrowed, 'm2')).toBe(404); // the key's own narrowing still holds
    expect(await served(narrowed, 'm1')).toBe('m1@v1');

    expect((await patch('/admin/tenants/allow', { allowed_models: ['m2'] })).status).toBe(200);
    expect(await served(inherits, 'm1')).toBe(404);
    expect(await served(narrowed, 'm1')).toBe(404); // nothing both allow is left to it
    expect(await served(inherits, 'm2')).toBe('m2@v1');

    expect((await patch('/admin/tenants/allow', { allowed_models: null })).status).toBe(200);
    expect(await served(inherits, 'm1')).toBe('m1@v1');
    expect(await served(inherits, 'm2')).toBe('m2@v1');
  });

  it("routes a request without a hint at the tenant's default data classification, and a hint only raises it", async () => {
    await admin.post('/admin/tenants', { id: 'clinic', name: 'Clinic', data_classification: 'phi' });
    await admin.post('/admin/tenants', { id: 'shop', name: 'Shop', data_classification: 'internal' });
    const clinic = (await admin.post<{ key: string }>('/admin/tenants/clinic/keys', {})).body.key;
    const shop = (await admin.post<{ key: string }>('/admin/tenants/shop/keys', {})).body.key;
    const hint = (c: string) => ({ 'x-switchyard-data-classification': c });
    // cost-first over m1 and m2 at equal (zero) prices picks either; phi leaves only m2 (hipaa).
    for (let i = 0; i < 4; i++) expect(await served(clinic, 'any')).toBe('m2@v1');
    expect(await served(clinic, 'any', hint('public'))).toBe('m2@v1'); // never lowered
    expect(await served(clinic, 'm1')).toBe(400);
    // internal: both qualify; a pii hint raises it to what only m2 accepts.
    expect(await served(shop, 'm1')).toBe('m1@v1');
    expect(await served(shop, 'm1', hint('pii'))).toBe(400);
    expect(await served(shop, 'any', hint('pii'))).toBe('m2@v1');

    // The default is read at request time too: removing it lets m1 serve the clinic.
    expect((await patch('/admin/tenants/clinic', { data_classification: null })).status).toBe(200);
    expect(await served(clinic, 'm1')).toBe('m1@v1');
  });
});

describe('plans at the edge', () => {
  it("throttles a free key at the free plan's burst of 10, not a standard key; a plan change moves keys", async () => {
    await admin.post('/admin/tenants', { id: 'freebie', name: 'Freebie', plan: 'free' });
    const free = await admin.post<{ key: string }>('/admin/tenants/freebie/keys', {});
    const burst = async (key: string) =>
      (await Promise.all(Array.from({ length: 25 }, () => models(key)))).map((r) => r.status);
    const freeStatuses = await burst(free.body.key);
    expect(freeStatuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(freeStatuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(10);

    const moved = await patch('/admin/tenants/freebie', { plan: 'enterprise' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ plan: 'enterprise' });
    expect(await burst(free.body.key)).toEqual(Array(25).fill(200));
  });

  it('patches fields, removes nulls, refuses an id change and unknown fields', async () => {
    await admin.post('/admin/tenants', {
      id: 'patchy',
      name: 'Patchy',
      budget: { limit_usd: 5, period: 'day' },
      rate_limits: { requests_per_minute: 60 },
    });
    const p = await patch('/admin/tenants/patchy', {
      budget: null,
      rate_limits: { tokens_per_minute: 1000 },
    });
    expect(p.status).toBe(200);
    expect(p.body).not.toHaveProperty('budget');
    expect(p.body).toMatchObject({ rate_limits: { tokens_per_minute: 1000 }, name: 'Patchy' });
    expect((await patch('/admin/tenants/patchy', { id: 'other' })).body.error?.param).toBe('id');
    expect((await patch('/admin/tenants/patchy', { color: 'red' })).status).toBe(400);
    expect((await patch('/admin/tenants/patchy', {})).status).toBe(400);
    expect((await patch('/admin/tenants/patchy', { plan: 'gold' })).body.error?.param).toBe('plan');
  });
});

const NOV = Date.UTC(2026, 10, 2, 12); // 2026-11-02T12:00Z
const record = (tenant: string, n: number, over: Partial<UsageRecord> = {}): UsageRecord => ({
  tenant,
  key_id: `key_${String(n % 2).repeat(32)}`,
  request_id: `${tenant}-req-${n}`,
  route: 'chat',
  model: n % 2 === 0 ? 'm1' : 'm2',
  endpoint: 'e1',
  prompt_tokens: 100,
  completion_tokens: 10 * n,
  cost_nanos: 1_000_000 * n,
  cost_usd: n / 1_000,
  latency_ms: 5,
  attempts: 1,
  status: 'ok',
  at: NOV + n * 86_400_000,
  ...over,
});

describe('usage', () => {
  let acmeKey: string;

  beforeAll(async () => {
    const store = new DynamoDbUsageStore({
      client: clients.doc,
      tableName: named(stack.resources.tables, 'usage'),
    });
    for (let n = 1; n <= 3; n++) await store.put(record('usage-co', n));
    await store.put(record(LOCAL_TENANT.id, 7));
    await admin.post('/admin/tenants', { id: 'usage-co', name: 'Usage Co' });
    acmeKey = (await admin.post<{ key: string }>('/admin/tenants/usage-co/keys', {})).body.key;
  });

  it('GET /v1/usage shows a consumer only its own tenant, in the admin shape', async () => {
    const mine = await call('GET', `${stack.url}/v1/usage?from=2026-11-01&to=2026-11-30`, acmeKey);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({
      object: 'usage',
      tenant: 'usage-co',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      group_by: null,
      total: { requests: 3, prompt_tokens: 300, completion_tokens: 60, cost_usd: 0.006 },
      groups: [],
    });
    const local = await call<{ tenant: string; total: { requests: number; cost_usd: number } }>(
      'GET',
      `${stack.url}/v1/usage?from=2026-11-01&to=2026-11-30`,
      stack.apiKey,
    );
    expect(local.body.tenant).toBe('local');
    expect(local.body.total).toMatchObject({ requests: 1, cost_usd: 0.007 });
    // A tenant named in the query changes nothing: the tenant is the key's.
    const sneaky = await call<{ tenant: string }>(
      'GET',
      `${stack.url}/v1/usage?from=2026-11-01&to=2026-11-30&tenant=local`,
      acmeKey,
    );
    expect(sneaky.body.tenant).toBe('usage-co');
  });

  it('the admin route groups by day, model and key, over a half-open range', async () => {
    const byDay = await admin.get<{ groups: Array<{ key: string; requests: number }> }>(
      '/admin/tenants/usage-co/usage?from=2026-11-04&to=2026-11-05&group_by=day',
    );
    expect(byDay.body.groups).toEqual([
      { key: '2026-11-04', requests: 1, prompt_tokens: 100, completion_tokens: 20, cost_usd: 0.002 },
      { key: '2026-11-05', requests: 1, prompt_tokens: 100, completion_tokens: 30, cost_usd: 0.003 },
    ]);
    const byModel = await admin.get<{ groups: Array<{ key: string; requests: number }> }>(
      `/admin/tenants/usage-co/usage?from=${NOV}&to=${NOV + 3 * 86_400_000}&group_by=model`,
    );
    // [from, to): the record at exactly `to` (n = 3) is out.
    expect(byModel.body.groups.map((g) => [g.key, g.requests])).toEqual([
      ['m1', 1],
      ['m2', 1],
    ]);
    const byKey = await admin.get<{ groups: Array<{ key: string }> }>(
      '/admin/tenants/usage-co/usage?from=2026-11-01&to=2026-11-30&group_by=key',
    );
    expect(byKey.body.groups.map((g) => g.key)).toEqual([`key_${'0'.repeat(32)}`, `key_${'1'.repeat(32)}`]);
  });

  it.each([
    ['from=yesterday', 'from'],
    ['to=2026-02-30', 'to'],
    ['from=2026-11-05&to=2026-11-01', 'to'],
    ['group_by=tenant', 'group_by'],
  ])('GET /v1/usage?%s is a 400 naming %s', async (query, param) => {
    const res = await call<Err>('GET', `${stack.url}/v1/usage?${query}`, acmeKey);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param });
  });
});

describe('npm run keys / npm run tenants (their commands, locally)', () => {
  it('create a tenant and key, list, revoke, read usage, all through the admin API', async () => {
    const api = localAdminTransport(stack.url, stack.adminKey);
    const made = (await keysCommand(api, 'create', { tenant: 'cli-co', name: 'cli' })) as {
      tenant: { id: string; webhook_secret: string };
      key: { key_id: string; key: string };
    };
    expect(made.tenant).toMatchObject({ id: 'cli-co', plan: 'standard' });
    expect((await models(made.key.key)).status).toBe(200);
    // The tenant exists now: a second key comes alone.
    expect(await keysCommand(api, 'create', { tenant: 'cli-co' })).toMatchObject({ tenant: 'cli-co' });
    const listed = (await keysCommand(api, 'list', { tenant: 'cli-co' })) as { data: unknown[] };
    expect(listed.data).toHaveLength(2);
    await keysCommand(api, 'revoke', { tenant: 'cli-co', 'key-id': made.key.key_id });
    expect((await models(made.key.key)).status).toBe(401);
    const t = await tenantsCommand(api, 'create', {
      id: 'cli-two',
      name: 'Two',
      plan: 'free',
      'budget-usd': '25',
      period: 'day',
    });
    expect(t).toMatchObject({ id: 'cli-two', plan: 'free', budget: { limit_usd: 25, period: 'day' } });
    expect(await tenantsCommand(api, 'usage', { id: 'cli-two', 'group-by': 'model' })).toMatchObject({
      tenant: 'cli-two',
      group_by: 'model',
      total: { requests: 0 },
    });
    await expect(tenantsCommand(api, 'get', { id: 'nobody' })).rejects.toThrow(AdminCommandError);
    await expect(tenantsCommand(api, 'get', { id: 'nobody' })).rejects.toThrow(
      /HTTP 404: No tenant "nobody"/,
    );
  });
});
