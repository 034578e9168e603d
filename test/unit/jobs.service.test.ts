// The jobs API service with in-memory fakes: what is stored and enqueued for a good request,
// what is refused (and that a refusal stores and enqueues nothing), Idempotency-Key semantics
// including the repair of a first request that died half-way, and tenant isolation on reads.
import { BudgetHolds, MemoryBudgetStore } from '@switchyard/adapters';
import type { Caller } from '@switchyard/adapters/lambda';
import type {
  IdempotencyRecord,
  IdempotencyStore,
  Job,
  JobMessage,
  JobPriority,
  JobQueue,
  RegistryInput,
  TenantBudgetConfig,
} from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { hashOf, JobsService } from '../../functions/jobs/jobs.service.ts';
import { compiled, endpoint, model, policy } from './core/fixtures.ts';

const REGISTRY: RegistryInput = {
  models: [
    model('m-a', { quality: { chat: 0.9 }, cost: { input_per_1k: 0.01 } }),
    model('m-b', { quality: { chat: 0.5 }, cost: { input_per_1k: 0.001 } }),
    model('clf', { tasks: ['sentiment'], context_window: 512 }),
  ],
  endpoints: [
    endpoint('ep-a', 'm-a'),
    endpoint('ep-b', 'm-b'),
    endpoint('ep-clf', 'clf', { kind: 'sagemaker', target: 'clf' }),
    endpoint('ep-old', 'm-b', { state: 'draining' }),
  ],
  policies: [
    policy('chain', { models: ['m-a', 'm-b'], strategy: 'quality-first' }),
    policy('research', { match: { model: 'chain', headers: { 'X-Team': 'research' } }, models: ['m-a'] }),
    policy('old-only', { match: { model: 'old-only' }, models: ['m-b'] }),
  ],
};

class FakeJobs {
  readonly items = new Map<string, Job>();
  async create(job: Job): Promise<boolean> {
    if (this.items.has(job.id)) return false;
    this.items.set(job.id, structuredClone(job));
    return true;
  }
  async get(id: string): Promise<Job | undefined> {
    const job = this.items.get(id);
    return job && structuredClone(job);
  }
}

class FakeIdempotency implements IdempotencyStore {
  readonly claims = new Map<string, IdempotencyRecord>();
  async claim(record: IdempotencyRecord) {
    const k = `${record.tenant}\n${record.key}`;
    const existing = this.claims.get(k);
    if (existing) return { claimed: false as const, existing };
    this.claims.set(k, record);
    return { claimed: true as const };
  }
}

class FakeQueue implements JobQueue {
  readonly sent: Array<{ message: JobMessage; priority: JobPriority }> = [];
  async send(message: JobMessage, priority: JobPriority): Promise<void> {
    this.sent.push({ message, priority });
  }
}

const caller: Caller = { tenant: 't1', role: 'consumer' };
let jobs: FakeJobs;
let idempotency: FakeIdempotency;
let queue: FakeQueue;
let service: JobsService;
let seq = 0;

function make(allowLocalWebhooks = false, registry: RegistryInput = REGISTRY): JobsService {
  return new JobsService({
    jobs,
    idempotency,
    queue,
    registry: { get: async () => compiled(registry) },
    now: () => 1_700_000_000_000,
    random: () => 0.5,
    newId: () => `job_${String(++seq).padStart(32, '0')}`,
    allowLocalWebhooks,
  });
}

beforeEach(() => {
  jobs = new FakeJobs();
  idempotency = new FakeIdempotency();
  queue = new FakeQueue();
  service = make();
});

const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'chain',
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

async function rejected(p: Promise<unknown>): Promise<SwitchyardError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SwitchyardError)) throw new Error(`expected a SwitchyardError, got ${String(err)}`);
  return err;
}

describe('submit', () => {
  it('stores a queued chat job without webhook_url/priority in the body, enqueues it once, answers 202', async () => {
    const res = await service.submit(
      chat({ webhook_url: 'https://hooks.example.com/done', priority: 'low' }),
      {},
      caller,
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ object: 'job', status: 'queued', priority: 'low', model: 'chain' });
    expect(res.body.created_at).toBe(1_700_000_000);
    expect(res.headers.location).toBe(`jobs/${res.body.id}`);
    const stored = jobs.items.get(res.body.id);
    expect(stored).toMatchObject({
      tenant: 't1',
      status: 'queued',
      priority: 'low',
      webhook_url: 'https://hooks.example.com/done',
      request: { kind: 'chat', body: { model: 'chain', messages: [{ role: 'user', content: 'hi' }] } },
      attempts: [],
    });
    expect(stored?.request.body).not.toHaveProperty('webhook_url');
    expect(stored?.request.body).not.toHaveProperty('priority');
    expect(queue.sent).toEqual([{ message: { job_id: res.body.id, tenant: 't1' }, priority: 'low' }]);
  });

  it('detects invocation bodies (task + payload)', async () => {
    const res = await service.submit(
      { model: 'clf', task: 'sentiment', payload: { text: 'ok' } },
      {},
      caller,
    );
    expect(jobs.items.get(res.body.id)?.request).toEqual({
      kind: 'invocation',
      body: { model: 'clf', task: 'sentiment', payload: { text: 'ok' } },
    });
  });

  it('takes the priority from the field, else the routing hint, else normal', async () => {
    const hinted = await service.submit(chat({ 'x-switchyard': { priority: 'high' } }), {}, caller);
    expect(hinted.body.priority).toBe('high');
    const header = await service.submit(chat(), { 'x-switchyard-priority': 'low' }, caller);
    expect(header.body.priority).toBe('low');
    const both = await service.submit(
      chat({ priority: 'normal', 'x-switchyard': { priority: 'high' } }),
      {},
      caller,
    );
    expect(both.body.priority).toBe('normal');
    expect((await service.submit(chat(), {}, caller)).body.priority).toBe('normal');
  });

  it('keeps the headers routing reads (hints, policy matches) and the allow-list, nothing else', async () => {
    const res = await service.submit(
      chat(),
      {
        'x-team': 'research',
        'x-switchyard-sticky-key': 'conv-1',
        authorization: 'Bearer secret',
        'x-other': '1',
      },
      { ...caller, allowed_models: ['m-a', 'm-b'] },
    );
    const stored = jobs.items.get(res.body.id);
    expect(stored?.request.headers).toEqual({ 'x-team': 'research', 'x-switchyard-sticky-key': 'conv-1' });
    expect(stored?.allowed_models).toEqual(['m-a', 'm-b']);
  });

  it('accepts a job whose endpoints are only unavailable now (draining): that may change', async () => {
    const res = await service.submit(chat({ model: 'old-only' }), {}, caller);
    expect(res.status).toBe(202);
    expect(queue.sent).toHaveLength(1);
  });

  it.each([
    ['a missing body', undefined, {}, 400, null],
    ['an array', [1], {}, 400, null],
    ['neither chat nor invocation', { model: 'chain' }, {}, 400, 'messages'],
    ['an invalid chat body', { model: 'chain', messages: 'hi' }, {}, 400, 'messages'],
    ['an invalid invocation body', { model: 'clf', task: 'sentiment' }, {}, 400, 'payload'],
    ['streaming', chat({ stream: true }), {}, 400, 'stream'],
    ['an unknown model', chat({ model: 'nope' }), {}, 404, 'model'],
    ['an unknown priority', chat({ priority: 'urgent' }), {}, 400, 'priority'],
    ['an http webhook', chat({ webhook_url: 'http://hooks.example.com/x' }), {}, 400, 'webhook_url'],
    ['a localhost webhook', chat({ webhook_url: 'https://localhost/x' }), {}, 400, 'webhook_url'],
    ['a private-address webhook', chat({ webhook_url: 'https://10.1.2.3/x' }), {}, 400, 'webhook_url'],
    [
      'a metadata-address webhook',
      chat({ webhook_url: 'https://169.254.169.254/x' }),
      {},
      400,
      'webhook_url',
    ],
    ['a webhook that is not a URL', chat({ webhook_url: 'hooks' }), {}, 400, 'webhook_url'],
    ['a webhook that is not a string', chat({ webhook_url: 42 }), {}, 400, 'webhook_url'],
    [
      'a bad hint header',
      chat(),
      { 'x-switchyard-max-latency-ms': '-1' },
      400,
      'x-switchyard-max-latency-ms',
    ],
    ['a cost cap nothing meets', chat({ 'x-switchyard': { max_cost_usd: 1e-12 } }), {}, 400, null],
    ['a task the policy cannot serve', { model: 'chain', task: 'sentiment', payload: 'x' }, {}, 400, null],
    ['a too-long idempotency key', chat(), { 'idempotency-key': 'k'.repeat(256) }, 400, 'Idempotency-Key'],
  ])('refuses %s and stores and enqueues nothing', async (_, body, headers, status, param) => {
    const err = await rejected(service.submit(body, headers, caller));
    expect(err.status).toBe(status);
    if (param !== null) expect(err.param).toBe(param);
    expect(jobs.items.size).toBe(0);
    expect(queue.sent).toEqual([]);
    expect(idempotency.claims.size).toBe(0);
  });

  it('refuses a model outside the tenant allow-list up front', async () => {
    const err = await rejected(service.submit(chat(), {}, { ...caller, allowed_models: ['clf'] }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('no_candidate');
    expect(queue.sent).toEqual([]);
  });

  it('accepts http webhooks to this machine only in local mode', async () => {
    const local = make(true);
    for (const url of ['http://127.0.0.1:9999/h', 'http://localhost:1/h', 'http://[::1]:80/h']) {
      expect((await local.submit(chat({ webhook_url: url }), {}, caller)).status).toBe(202);
    }
    const err = await rejected(local.submit(chat({ webhook_url: 'http://example.com/h' }), {}, caller));
    expect(err.param).toBe('webhook_url');
    expect(
      (await rejected(service.submit(chat({ webhook_url: 'http://127.0.0.1/h' }), {}, caller))).status,
    ).toBe(400);
  });
});

describe('Idempotency-Key', () => {
  const key = { 'idempotency-key': 'order-42' };

  it('same key, same body: the same job (200, replayed), re-enqueued only while still queued', async () => {
    const first = await service.submit(chat(), key, caller);
    const second = await service.submit(
      { messages: [{ content: 'hi', role: 'user' }], model: 'chain' },
      key,
      caller,
    );
    expect(first.status).toBe(202);
    expect(second).toMatchObject({ status: 200, body: { id: first.body.id } });
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(jobs.items.size).toBe(1);
    expect(queue.sent.map((s) => s.message.job_id)).toEqual([first.body.id, first.body.id]);

    const job = jobs.items.get(first.body.id) as Job;
    jobs.items.set(job.id, { ...job, status: 'succeeded', result: { body: { ok: true } } });
    const third = await service.submit(chat(), key, caller);
    expect(third.body.status).toBe('succeeded');
    expect(queue.sent).toHaveLength(2);
  });

  it('same key, another body: 409, nothing stored or enqueued', async () => {
    await service.submit(chat(), key, caller);
    const err = await rejected(service.submit(chat({ priority: 'high' }), key, caller));
    expect(err.status).toBe(409);
    expect(err.code).toBe('idempotency_key_reused');
    expect(jobs.items.size).toBe(1);
    expect(queue.sent).toHaveLength(1);
  });

  it('a hint header is part of the request: another header value is another body', async () => {
    await service.submit(chat(), { ...key, 'x-switchyard-sticky-key': 'a' }, caller);
    const err = await rejected(service.submit(chat(), { ...key, 'x-switchyard-sticky-key': 'b' }, caller));
    expect(err.status).toBe(409);
  });

  it('keys belong to a tenant', async () => {
    const a = await service.submit(chat(), key, caller);
    const b = await service.submit(chat(), key, { tenant: 't2', role: 'consumer' });
    expect(b.status).toBe(202);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('repairs a first request that died after claiming the key: the claimed id is created and enqueued', async () => {
    const body = chat();
    await idempotency.claim({
      tenant: 't1',
      key: 'order-42',
      request_hash: hashOf({ body, headers: {} }),
      job_id: 'job_claimed',
      created_at: 1,
    });
    const res = await service.submit(body, key, caller);
    expect(res).toMatchObject({ status: 202, body: { id: 'job_claimed', status: 'queued' } });
    expect(queue.sent).toEqual([{ message: { job_id: 'job_claimed', tenant: 't1' }, priority: 'normal' }]);
  });
});

describe('get', () => {
  it("shows the caller's job; another tenant's or a malformed id is a 404 (no existence leak)", async () => {
    const { body } = await service.submit(chat(), {}, caller);
    expect(await service.get(body.id, caller)).toMatchObject({ id: body.id, status: 'queued', attempts: [] });
    for (const [id, who] of [
      [body.id, { tenant: 't2', role: 'consumer' }],
      ['job_00000000000000000000000000000099', caller],
      ['../etc', caller],
      [undefined, caller],
    ] as const) {
      const err = await rejected(service.get(id, who as Caller));
      expect(err.status).toBe(404);
      expect(err.code).toBe('job_not_found');
    }
  });
});

describe('hashOf', () => {
  it('ignores key order and undefined fields, but not values or array order', () => {
    expect(hashOf({ a: 1, b: [1, 2], c: undefined })).toBe(hashOf({ b: [1, 2], a: 1 }));
    expect(hashOf({ a: 1 })).not.toBe(hashOf({ a: 2 }));
    expect(hashOf({ b: [1, 2] })).not.toBe(hashOf({ b: [2, 1] }));
  });
});

describe('hashOf: bounded nesting', () => {
  const nested = (n: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = { k: v };
    return v;
  };

  it('hashes the deepest accepted body inside its envelope, and refuses one level more with a 400', () => {
    expect(hashOf({ body: nested(64), headers: {} })).toMatch(/^[0-9a-f]{64}$/);
    expect(() => hashOf({ body: nested(65), headers: {} })).toThrow(
      expect.objectContaining({ status: 400, code: 'json_too_deep' }),
    );
  });

  it('refuses 10,000 levels with the same 400, not a stack overflow', () => {
    expect(() => hashOf(nested(10_000))).toThrow(expect.objectContaining({ code: 'json_too_deep' }));
  });
});

describe('submit: the tenant record and its budgets at accept', () => {
  // 2023-11-14T22:13:20Z: month 2023-11.
  const NOW = 1_700_000_000_000;
  const budgeted = (config: TenantBudgetConfig | Error, store = new MemoryBudgetStore()) => {
    const holds = new BudgetHolds({ store, now: () => NOW });
    const svc = new JobsService({
      jobs,
      idempotency,
      queue,
      registry: { get: async () => compiled(REGISTRY) },
      now: () => NOW,
      random: () => 0.5,
      newId: () => `job_${String(++seq).padStart(32, '0')}`,
      allowLocalWebhooks: false,
      budget: {
        tenants: {
          get: async () => {
            if (config instanceof Error) throw config;
            return config;
          },
        },
        holds,
      },
    });
    return { svc, holds, store };
  };
  // "hi" is 8 estimated prompt tokens: at most 8 x $0.01/1K on m-a = $0.00008, and 108 tokens.
  const body = chat({ max_tokens: 100 });

  it('accepts a job whose maximum the spend budget can hold, exactly at the limit; reserves nothing', async () => {
    const { svc, store } = budgeted({ budget: { limit_usd: 0.00008, period: 'month' } });
    expect((await svc.submit(body, {}, caller)).status).toBe(202);
    expect(queue.sent).toHaveLength(1);
    expect(await store.listPeriods('t1')).toEqual([]);
  });

  it('refuses more than the whole limit with 429 insufficient_quota naming max_tokens; stores nothing', async () => {
    const { svc } = budgeted({ budget: { limit_usd: 0.000079, period: 'month' } });
    const err = await rejected(svc.submit(body, {}, caller));
    expect(err).toMatchObject({ status: 429, type: 'insufficient_quota', code: 'insufficient_quota' });
    expect(err.param).toBe('max_tokens');
    expect(err.message).toBe(
      'This request may cost up to $0.00008, more than the whole monthly budget of $0.000079: lower max_tokens or use a cheaper model.',
    );
    expect(jobs.items.size).toBe(0);
    expect(queue.sent).toEqual([]);
  });

  it('refuses a job the settled spend leaves no room for, with Retry-After until the reset', async () => {
    const { svc, holds } = budgeted({ budget: { limit_usd: 0.0001, period: 'month' } });
    const spec = { unit: 'usd_nanos' as const, period: 'month' as const, limit: 100_000, revision: 0 };
    const earlier = await holds.take('t1', 'earlier', [{ spec, amount: 21_000 }], 60_000);
    if (!('lease_id' in earlier)) throw new Error('refused');
    await holds.settle(earlier, [21_000]);
    const err = await rejected(svc.submit(body, {}, caller));
    expect(err.status).toBe(429);
    expect(err.message).toContain('The monthly budget of $0.0001 is exhausted: $0.000079 is left');
    // Until 2023-12-01T00:00:00Z: 1,388,800 s.
    expect(err.headers['retry-after']).toBe('1388800');
    expect(queue.sent).toEqual([]);
    // 20 spent leave exactly 80: accepted.
    const fits = budgeted({ budget: { limit_usd: 0.0001, period: 'month' } });
    const twenty = await fits.holds.take('t1', 'earlier', [{ spec, amount: 20_000 }], 60_000);
    if (!('lease_id' in twenty)) throw new Error('refused');
    await fits.holds.settle(twenty, [20_000]);
    expect((await fits.svc.submit(body, {}, caller)).status).toBe(202);
  });

  it('refuses more tokens than the whole tokens-per-minute limit (429 rate_limit_exceeded), not a busy minute', async () => {
    const small = budgeted({ rate_limits: { tokens_per_minute: 107 } });
    const err = await rejected(small.svc.submit(body, {}, caller));
    expect(err).toMatchObject({ status: 429, code: 'rate_limit_exceeded', param: 'max_tokens' });
    expect(
      (await budgeted({ rate_limits: { tokens_per_minute: 108 } }).svc.submit(body, {}, caller)).status,
    ).toBe(202);
  });

  it("routes by the tenant record's allow-list and classification floor: what it may not use is refused now", async () => {
    const narrow = budgeted({ allowed_models: ['m-b'] });
    const err = await rejected(narrow.svc.submit(chat({ model: 'm-a' }), {}, caller));
    expect(err).toMatchObject({ status: 404, code: 'model_not_found' });
    expect((await narrow.svc.submit(chat(), {}, caller)).status).toBe(202);
    const phi = budgeted({ data_classification: 'phi' });
    expect(await rejected(phi.svc.submit(chat(), {}, caller))).toMatchObject({ status: 400 });
    expect(jobs.items.size).toBe(1);
  });

  it('a tenant record that cannot be read is 503 budget_unavailable (never accepted unmetered)', async () => {
    const { svc } = budgeted(new Error('throttled'));
    expect(await rejected(svc.submit(body, {}, caller))).toMatchObject({ status: 503 });
    expect(jobs.items.size).toBe(0);
  });
});
