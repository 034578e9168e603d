// The jobs API end to end on the local stack (real SDK clients, the synthesized state machine):
// POST /v1/jobs -> SQS -> worker -> Step Functions -> job steps -> DynamoDB -> GET /v1/jobs/{id}
// and the webhook. Fallback with per-target attempts from the policy, idempotency keys (and the
// repair of a first request that died half-way), bad input refused with nothing enqueued,
// tenant isolation, webhooks, duplicated messages, and priority order across the three queues.
import { createHmac } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDbIdempotencyStore, DynamoDbJobStore } from '@switchyard/adapters';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashOf, newJobId } from '../../functions/jobs/jobs.service.ts';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import { chat, JOBS_REGISTRY, JobsClient, startWebhookReceiver } from './jobs-support.ts';

let stack: LocalStack;
let jobs: JobsClient;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: JOBS_REGISTRY,
    schedules: false,
    logLevel: 'SILENT',
    retryIntervalOverrideMs: 2,
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0', JOB_PRIORITY_POLL_MS: '10' },
  });
  jobs = new JobsClient(stack);
});

afterAll(async () => {
  jobs?.destroy();
  await stack?.stop();
});

afterEach(() => {
  for (const e of stack.sim.list()) stack.sim.setFault(e.id, 'ok');
  stack.poller.resume();
});

describe('POST /v1/jobs then GET /v1/jobs/{id}', () => {
  it('accepts a chat job (202, Location) and shows it succeeded with its result and attempt', async () => {
    const res = await jobs.submit(chat('hello durable world'));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ object: 'job', status: 'queued', priority: 'normal', model: 'chain' });
    expect(res.body.id).toMatch(/^job_[0-9a-f]{32}$/);
    expect(res.body.created_at).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(res.headers.get('location')).toBe(`jobs/${res.body.id}`);
    // The Location resolves against the request URL to the job's own URL.
    expect(new URL(res.headers.get('location') as string, `${stack.url}/v1/jobs`).pathname).toBe(
      `/v1/jobs/${res.body.id}`,
    );

    const job = await jobs.final(res.body.id);
    expect(job.status).toBe('succeeded');
    expect(job.attempts).toEqual([
      expect.objectContaining({ endpoint: 'ep-a', model: 'model-a@v1', outcome: 'success' }),
    ]);
    expect(job.attempts[0]?.duration_ms).toBeGreaterThanOrEqual(0);
    expect(job.result).toMatchObject({ object: 'chat.completion', model: 'model-a' });
    expect(JSON.stringify(job.result)).toContain('hello durable world');
    expect(jobs.executionsOf(res.body.id)).toHaveLength(1);
  });

  it('accepts an invocation body (task + payload) and answers an invocation object', async () => {
    const id = await jobs.accepted({
      model: 'sentiment-bert',
      task: 'sentiment',
      payload: { text: 'I love it' },
    });
    const job = await jobs.final(id);
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ object: 'invocation', model: 'sentiment-bert', task: 'sentiment' });
    expect(job.attempts.map((a) => a.endpoint)).toEqual(['sm-sentiment']);
  });

  it('primary fails twice, the fallback succeeds: succeeded with three attempts, through the state machine', async () => {
    stack.sim.setFault('ep-a', 'error');
    const before = stack.sim.stats('ep-a').requests;
    const id = await jobs.accepted(chat('fall back please'));
    const job = await jobs.final(id);
    expect(job.status).toBe('succeeded');
    expect(job.attempts.map((a) => [a.endpoint, a.outcome])).toEqual([
      ['ep-a', 'server'],
      ['ep-a', 'server'],
      ['ep-b', 'success'],
    ]);
    // The policy allows two attempts per target: ep-a was called exactly twice.
    expect(stack.sim.stats('ep-a').requests - before).toBe(2);
    expect(job.result).toMatchObject({ model: 'model-b' });
    const [execution] = jobs.executionsOf(id);
    const done = await stack.sfn.waitForExecution(execution?.executionArn as string);
    expect(done.status).toBe('SUCCEEDED');
    const entered = done.history
      .filter((h) => h.type.endsWith('StateEntered'))
      .map((h) => (h.details as { name?: string } | undefined)?.name);
    expect(entered).toEqual(expect.arrayContaining(['Plan', 'Invoke', 'NextTarget', 'RecordSuccess']));
    expect(entered.filter((n) => n === 'NextTarget')).toHaveLength(1);
  });

  it('every target failing ends failed, with every attempt and why', async () => {
    for (const ep of ['ep-a', 'ep-b', 'ep-c']) stack.sim.setFault(ep, 'error');
    const id = await jobs.accepted(chat('nobody answers'));
    const job = await jobs.final(id);
    expect(job.status).toBe('failed');
    expect(job.attempts.map((a) => a.endpoint)).toEqual(['ep-a', 'ep-a', 'ep-b', 'ep-b', 'ep-c', 'ep-c']);
    expect(job.error?.code).toBe('all_targets_failed');
    expect(job.error?.message).toContain('ep-c');
    expect(job.result).toBeUndefined();
  });

  it('takes header hints and the job priority; an unknown id is a 404 in the OpenAI shape', async () => {
    const res = await jobs.submit(chat('high please', { priority: 'high' }), {
      headers: { 'x-switchyard-max-cost-usd': '5' },
    });
    expect(res.status).toBe(202);
    expect(res.body.priority).toBe('high');
    expect((await jobs.final(res.body.id)).status).toBe('succeeded');
    const missing = await jobs.get('job_00000000000000000000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ type: 'invalid_request_error', code: 'job_not_found' });
  });
});

describe('bad input: a clear 4xx in the OpenAI shape, nothing stored, nothing enqueued', () => {
  it('refuses each bad request and leaves the queues and the jobs table as they were', async () => {
    await stack.poller.pause();
    // A job under an idempotency key, for the "same key, other body" case (it stays queued).
    const first = await jobs.submit(chat('the original'), {
      headers: { 'idempotency-key': 'bad-input-key' },
    });
    expect(first.status).toBe(202);
    const queuedBefore = await jobs.queued();
    const itemsBefore = await jobs.jobItems();
    expect(queuedBefore).toBe(1);

    const cases: Array<
      [string, unknown, Record<string, string>, number, string | null, string | null, boolean?]
    > = [
      ['missing body', undefined, {}, 400, null, 'missing_body'],
      ['not JSON', '{"model": ', {}, 400, null, 'invalid_request', true],
      ['an array', [1, 2], {}, 400, null, 'invalid_request'],
      ['neither chat nor invocation', { model: 'chain' }, {}, 400, 'messages', 'invalid_request'],
      ['no messages', { model: 'chain', messages: [] }, {}, 400, 'messages', 'invalid_request'],
      ['unknown model', chat('x', { model: 'no-such-model' }), {}, 404, 'model', 'model_not_found'],
      ['oversize payload', chat('x'.repeat(300 * 1024)), {}, 413, null, 'payload_too_large'],
      [
        'ftp webhook',
        chat('x', { webhook_url: 'ftp://example.com/hook' }),
        {},
        400,
        'webhook_url',
        'invalid_webhook_url',
      ],
      [
        'garbage webhook',
        chat('x', { webhook_url: 'not a url' }),
        {},
        400,
        'webhook_url',
        'invalid_webhook_url',
      ],
      [
        'http webhook elsewhere',
        chat('x', { webhook_url: 'http://example.com/h' }),
        {},
        400,
        'webhook_url',
        'invalid_webhook_url',
      ],
      [
        'webhook with credentials',
        chat('x', { webhook_url: 'https://u:p@example.com/h' }),
        {},
        400,
        'webhook_url',
        'invalid_webhook_url',
      ],
      ['unknown priority', chat('x', { priority: 'urgent' }), {}, 400, 'priority', 'invalid_request'],
      ['stream', chat('x', { stream: true }), {}, 400, 'stream', 'invalid_request'],
      [
        'bad hint header',
        chat('x'),
        { 'x-switchyard-max-cost-usd': 'lots' },
        400,
        'x-switchyard-max-cost-usd',
        'invalid_hint',
      ],
      [
        'a cost cap nothing meets',
        chat('x', { 'x-switchyard': { max_cost_usd: 1e-12 } }),
        {},
        400,
        null,
        'no_candidate',
      ],
      [
        'a task no model serves',
        { model: 'chain', task: 'embedding', payload: 'x' },
        {},
        400,
        null,
        'no_candidate',
      ],
      [
        'bad idempotency key',
        chat('x'),
        { 'idempotency-key': 'has spaces in it' },
        400,
        'Idempotency-Key',
        'invalid_idempotency_key',
      ],
      [
        'same idempotency key, other body',
        chat('a different body'),
        { 'idempotency-key': 'bad-input-key' },
        409,
        'Idempotency-Key',
        'idempotency_key_reused',
      ],
    ];
    for (const [what, body, headers, status, param, code, raw] of cases) {
      const res = await jobs.submit(body, { headers, raw: raw === true });
      expect(res.status, what).toBe(status);
      expect(Object.keys(res.body.error ?? {}), what).toEqual(['message', 'type', 'param', 'code']);
      expect(res.body.error.code, what).toBe(code);
      if (param !== null) expect(res.body.error.param, what).toBe(param);
      expect(res.body.error.message.length, what).toBeGreaterThan(10);
    }
    expect(await jobs.queued()).toBe(queuedBefore);
    expect(await jobs.jobItems()).toBe(itemsBefore);
    stack.poller.resume();
    expect((await jobs.final(first.body.id)).status).toBe('succeeded');
  });
});

describe('Idempotency-Key', () => {
  it('same key and same body: the same job (200, replayed), one execution; key order does not matter', async () => {
    const body = { messages: [{ role: 'user', content: 'only once' }], model: 'chain', priority: 'low' };
    const reordered = { priority: 'low', model: 'chain', messages: [{ content: 'only once', role: 'user' }] };
    const key = { headers: { 'idempotency-key': `idem-${Date.now()}` } };
    const first = await jobs.submit(body, key);
    const [second, third] = await Promise.all([jobs.submit(body, key), jobs.submit(reordered, key)]);
    expect(first.status).toBe(202);
    for (const again of [second, third]) {
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    const job = await jobs.final(first.body.id);
    expect(job.status).toBe('succeeded');
    const after = await jobs.submit(body, key);
    expect(after).toMatchObject({ status: 200, body: { id: first.body.id, status: 'succeeded' } });
    expect(jobs.executionsOf(first.body.id)).toHaveLength(1);
    expect(job.attempts).toHaveLength(1);
  });

  it('keys are per tenant: another tenant with the same key gets its own job', async () => {
    const other = await stack.addConsumerKey('tenant-b');
    const key = { 'idempotency-key': `shared-${Date.now()}` };
    const mine = await jobs.submit(chat('per tenant'), { headers: key });
    const theirs = await jobs.submit(chat('per tenant'), { headers: key, key: other });
    expect(mine.status).toBe(202);
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect((await jobs.final(mine.body.id)).status).toBe('succeeded');
    await eventually(async () => ((await jobs.queued()) === 0 ? true : undefined), {
      what: 'the queues to drain',
    });
  });

  it('repairs a first request that died after claiming the key, and one that died before enqueueing', async () => {
    const idem = new DynamoDbIdempotencyStore({ client: jobs.aws.doc, tableName: jobs.jobsTable });
    const store = new DynamoDbJobStore({ client: jobs.aws.doc, tableName: jobs.jobsTable });
    const body = chat('died half-way');
    const requestHash = hashOf({ body, headers: {} });

    // 1. Died after the claim: no job item, nothing enqueued.
    const claimedOnly = newJobId();
    await idem.claim({
      tenant: 'local',
      key: 'crash-1',
      request_hash: requestHash,
      job_id: claimedOnly,
      created_at: Date.now(),
    });
    const repaired = await jobs.submit(body, { headers: { 'idempotency-key': 'crash-1' } });
    expect(repaired.status).toBe(202);
    expect(repaired.body.id).toBe(claimedOnly);

    // 2. Died after creating the job item, before the message was sent.
    const storedOnly = newJobId();
    await idem.claim({
      tenant: 'local',
      key: 'crash-2',
      request_hash: requestHash,
      job_id: storedOnly,
      created_at: Date.now(),
    });
    const now = Date.now();
    await store.create({
      id: storedOnly,
      tenant: 'local',
      status: 'queued',
      priority: 'normal',
      created_at: now,
      updated_at: now,
      request: { kind: 'chat', body },
      attempts: [],
    });
    const resent = await jobs.submit(body, { headers: { 'idempotency-key': 'crash-2' } });
    expect(resent.status).toBe(200);
    expect(resent.body.id).toBe(storedOnly);

    for (const id of [claimedOnly, storedOnly]) {
      expect((await jobs.final(id)).status).toBe('succeeded');
      expect(jobs.executionsOf(id)).toHaveLength(1);
    }
  });
});

describe('tenant isolation', () => {
  it("another tenant's job id is a 404, exactly like an id that does not exist", async () => {
    const other = await stack.addConsumerKey('tenant-c');
    const id = await jobs.accepted(chat('mine alone'));
    const theirs = await jobs.get(id, other);
    expect(theirs.status).toBe(404);
    expect(theirs.body.error).toMatchObject({ code: 'job_not_found', param: 'id' });
    expect(JSON.stringify(theirs.body)).not.toContain('mine alone');
    const nowhere = await jobs.get('job_ffffffffffffffffffffffffffffffff', other);
    expect(nowhere.body.error.message.replace(/job_\w+/, 'ID')).toBe(
      theirs.body.error.message.replace(/job_\w+/, 'ID'),
    );
    expect((await jobs.get(id)).status).toBe(200);
  });
});

/** Whether `call` carries a valid Switchyard-Signature for `secret`, recomputed here independently. */
function signedWith(
  secret: string,
  call: { raw: string; headers: Record<string, unknown> } | undefined,
): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(call?.headers['switchyard-signature']));
  if (!m || !call) return false;
  if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
  return createHmac('sha256', secret).update(`${m[1]}.${call.raw}`).digest('hex') === m[2];
}

describe('completion webhook', () => {
  it('POSTs the job summary once when the job ends', async () => {
    const hook = await startWebhookReceiver();
    try {
      const id = await jobs.accepted(chat('call me back', { webhook_url: hook.url }));
      const [call] = await eventually(() => (hook.callsFor(id).length > 0 ? hook.callsFor(id) : undefined), {
        what: 'the webhook call',
      });
      expect(call?.body).toMatchObject({ id, object: 'job', status: 'succeeded', webhook_url: hook.url });
      expect(call?.body.attempts).toHaveLength(1);
      expect(JSON.stringify(call?.body.result)).toContain('call me back');
      expect(call?.headers['x-switchyard-job']).toBe(id);
      expect(call?.headers['switchyard-webhook-id']).toBe(`${id}.succeeded`);
      expect(signedWith(stack.webhookSecret, call)).toBe(true);
      const [execution] = jobs.executionsOf(id);
      await stack.sfn.waitForExecution(execution?.executionArn as string);
      expect(hook.callsFor(id)).toHaveLength(1);
    } finally {
      await hook.stop();
    }
  });

  it("each tenant's webhooks are signed with that tenant's own secret", async () => {
    const hook = await startWebhookReceiver();
    try {
      const other = await stack.addConsumerKey('tenant-d');
      const secret = await stack.tenantWebhookSecret('tenant-d');
      expect(secret).toMatch(/^whsec_/);
      expect(secret).not.toBe(stack.webhookSecret);
      const res = await jobs.submit(chat('signed for d', { webhook_url: hook.url }), { key: other });
      expect(res.status).toBe(202);
      const [call] = await eventually(
        () => (hook.callsFor(res.body.id).length > 0 ? hook.callsFor(res.body.id) : undefined),
        { what: "tenant-d's webhook" },
      );
      expect(signedWith(secret as string, call)).toBe(true);
      expect(signedWith(stack.webhookSecret, call)).toBe(false);
    } finally {
      await hook.stop();
    }
  });

  it('a failing webhook is retried, then given up, and never fails the job', async () => {
    const hook = await startWebhookReceiver(() => 500);
    try {
      const id = await jobs.accepted(chat('nobody listens', { webhook_url: hook.url }));
      const execution = await eventually(() => jobs.executionsOf(id)[0], { what: 'the execution' });
      const done = await stack.sfn.waitForExecution(execution.executionArn);
      expect(done.status).toBe('SUCCEEDED');
      // One call and the NotifyWebhook state's three retries.
      expect(hook.callsFor(id)).toHaveLength(4);
      const job = await jobs.get(id);
      expect(job.body.status).toBe('succeeded');
    } finally {
      await hook.stop();
    }
  });
});

describe('duplicated and late messages', () => {
  it('never start a second execution or record a second result', async () => {
    await stack.poller.pause();
    const id = await jobs.accepted(chat('said three times'));
    const extra = {
      QueueUrl: jobs.queueUrl('normal'),
      MessageBody: JSON.stringify({ job_id: id, tenant: 'local' }),
    };
    await jobs.aws.sqs.send(new SendMessageCommand(extra));
    await jobs.aws.sqs.send(new SendMessageCommand(extra));
    stack.poller.resume();
    const job = await jobs.final(id);
    expect(job.attempts).toHaveLength(1);
    // A message arriving after the job ended is acknowledged and starts nothing.
    await jobs.aws.sqs.send(new SendMessageCommand(extra));
    await eventually(async () => ((await jobs.queued()) === 0 ? true : undefined), {
      what: 'the queues to drain',
    });
    expect(jobs.executionsOf(id)).toHaveLength(1);
    expect((await jobs.get(id)).body.attempts).toHaveLength(1);
  });
});

describe('priority', () => {
  it('with a backlog in all three queues, every high job starts before any normal one, every normal before any low', async () => {
    await eventually(async () => ((await jobs.queued()) === 0 ? true : undefined), {
      what: 'the queues to drain',
    });
    await stack.poller.pause();
    const ids: Record<'high' | 'normal' | 'low', string[]> = { high: [], normal: [], low: [] };
    // Lowest first, so arrival order would put low at the front if priority were ignored.
    for (const priority of ['low', 'normal', 'high'] as const) {
      const batch = await Promise.all(
        Array.from({ length: 12 }, (_, i) => jobs.accepted(chat(`${priority} ${i}`, { priority }))),
      );
      ids[priority].push(...batch);
    }
    await eventually(
      async () => {
        const d = await Promise.all([jobs.depth('high'), jobs.depth('normal'), jobs.depth('low')]);
        return d.every((x) => x.visible === 12) ? true : undefined;
      },
      { what: 'the backlog to be visible' },
    );
    stack.poller.resume();
    for (const id of [...ids.high, ...ids.normal, ...ids.low]) await jobs.final(id);

    const order = stack.sfn.executions().map((e) => e.name);
    const positions = (list: string[]) => list.map((id) => order.indexOf(id));
    const high = positions(ids.high);
    const normal = positions(ids.normal);
    const low = positions(ids.low);
    for (const p of [...high, ...normal, ...low]) expect(p).toBeGreaterThanOrEqual(0);
    expect(Math.max(...high)).toBeLessThan(Math.min(...normal));
    expect(Math.max(...normal)).toBeLessThan(Math.min(...low));
  });
});
