// The job workflow's steps with fakes: the plan routes a job as the sync API would (stored routing
// headers, the tenant's allow-list), the invoke step never calls an endpoint for a final job nor
// past the policy's attempts per target, an oversized answer fails the job instead of breaking
// it, and the notify step sends the public view and lets failures reach the state machine.

import {
  BudgetHolds,
  BudgetLeases,
  MemoryBudgetStore,
  MemoryUsageStore,
  OpenAiHttpInferenceClient,
} from '@switchyard/adapters';
import type {
  AttemptRecord,
  BudgetSpec,
  InferenceClient,
  Job,
  JobFinal,
  JobPlan,
  JobStatus,
  JobStore,
  Outcome,
  PlanTarget,
  TenantBudgetConfig,
  UsageRecord,
  WebhookDelivery,
} from '@switchyard/core';
import { UpstreamError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import {
  BUDGET_HELD,
  INSUFFICIENT_QUOTA,
  INTERNAL,
  INVALID_REQUEST,
  invokeTarget,
  MAX_RESULT_BYTES,
  notifyJob,
  planJob,
  RATE_LIMITED,
  REJECTED,
  recordJob,
  TARGET_EXHAUSTED,
} from '../../functions/job-steps/job-steps.service.ts';
import { compiled, endpoint, model, policy } from './core/fixtures.ts';

class MemoryJobs implements JobStore {
  readonly items = new Map<string, Job>();
  readonly tries = new Map<string, number>();
  constructor(jobs: Job[]) {
    for (const j of jobs) this.items.set(j.id, j);
  }
  async create(job: Job) {
    this.items.set(job.id, job);
    return true;
  }
  async get(id: string) {
    return this.items.get(id);
  }
  async start(id: string, plan: JobPlan) {
    const j = this.items.get(id);
    if (j) this.items.set(id, { ...j, plan: j.plan ?? plan, status: 'running' });
  }
  async countAttempt(id: string, cursor: number) {
    const n = (this.tries.get(`${id}/${cursor}`) ?? 0) + 1;
    this.tries.set(`${id}/${cursor}`, n);
    return n;
  }
  async appendAttempt(id: string, attempt: AttemptRecord) {
    const j = this.items.get(id) as Job;
    this.items.set(id, { ...j, attempts: [...j.attempts, attempt] });
  }
  async finish(id: string, final: JobFinal) {
    const j = this.items.get(id) as Job;
    if (['succeeded', 'failed', 'dead-lettered'].includes(j.status)) return false;
    this.items.set(id, {
      ...j,
      status: final.status,
      ...(final.status === 'succeeded' ? { result: final.result } : { error: final.error }),
      ...(final.charge ? { charge: final.charge } : {}),
    });
    return true;
  }
  async markStarted() {
    return true;
  }
}

const registry = compiled({
  models: [model('big', { quality: { chat: 0.9 } }), model('small', { quality: { chat: 0.4 } })],
  endpoints: [endpoint('ep-big', 'big'), endpoint('ep-small', 'small')],
  policies: [
    policy('auto', {
      models: ['big', 'small'],
      strategy: 'quality-first',
      fallback: { count: 1, mode: 'cross-model' },
    }),
    policy('research', {
      match: { model: 'auto', headers: { 'x-team': 'research' } },
      models: ['big'],
      retry: { max_attempts_per_target: 3 },
    }),
  ],
});

function job(over: Partial<Job> = {}): Job {
  return {
    id: 'j',
    tenant: 't',
    status: 'running',
    priority: 'normal',
    created_at: 1,
    updated_at: 1,
    request: { kind: 'chat', body: { model: 'auto', messages: [{ role: 'user', content: 'hi' }] } },
    attempts: [],
    ...over,
  };
}

const planDeps = (jobs: JobStore) => ({
  jobs,
  registry: { get: async () => registry },
  health: { get: async () => ({ endpoints: {} }) },
  context: () => ({ now: 1, random: () => 0.5 }),
});

const target = (endpointId: string, modelId: string): PlanTarget =>
  ({
    endpoint: endpointId,
    model: modelId,
    version: 'v1',
    kind: 'openai-http',
    target: 'http://x/v1',
    timeout_ms: 1000,
  }) as PlanTarget;

describe('planJob', () => {
  it('routes a job without headers through its alias policy: the whole fallback chain', async () => {
    const jobs = new MemoryJobs([job({ status: 'queued' })]);
    expect(await planJob(planDeps(jobs), { job_id: 'j' })).toEqual({ targets_count: 2 });
    expect(jobs.items.get('j')?.plan?.targets.map((t) => t.endpoint)).toEqual(['ep-big', 'ep-small']);
  });

  it('honours the stored routing headers (a header policy) and the allow-list', async () => {
    const jobs = new MemoryJobs([
      job({
        id: 'h',
        request: {
          kind: 'chat',
          body: { model: 'auto', messages: [{ role: 'user', content: 'x' }] },
          headers: { 'x-team': 'research' },
        },
      }),
      job({ id: 'a', allowed_models: ['small'] }),
    ]);
    await planJob(planDeps(jobs), { job_id: 'h' });
    expect(jobs.items.get('h')?.plan).toMatchObject({ policy: 'research', max_attempts_per_target: 3 });
    await planJob(planDeps(jobs), { job_id: 'a' });
    expect(jobs.items.get('a')?.plan?.targets.map((t) => t.endpoint)).toEqual(['ep-small']);
  });

  it('reads the prompt as the sync router does: a legal question under an inferring policy', async () => {
    const legal = compiled({
      models: [model('general', { quality: { chat: 0.9 } }), model('lawyer', { domains: ['legal'] })],
      endpoints: [endpoint('ep-general', 'general'), endpoint('ep-lawyer', 'lawyer')],
      domains: [{ name: 'legal', terms: { plaintiff: 2, contract: 1 } }],
      policies: [policy('smart', { infer: ['domain'], strategy: 'quality-first', fallback: { count: 0 } })],
    });
    const ask = (id: string, content: string) =>
      job({ id, request: { kind: 'chat', body: { model: 'smart', messages: [{ role: 'user', content }] } } });
    const jobs = new MemoryJobs([ask('l', 'Can the plaintiff void the contract?'), ask('g', 'Hello there')]);
    const deps = { ...planDeps(jobs), registry: { get: async () => legal } };
    await planJob(deps, { job_id: 'l' });
    await planJob(deps, { job_id: 'g' });
    expect(jobs.items.get('l')?.plan?.targets.map((t) => t.endpoint)).toEqual(['ep-lawyer']);
    expect(jobs.items.get('g')?.plan?.targets.map((t) => t.endpoint)).toEqual(['ep-general']);
  });
});

describe('invokeTarget', () => {
  const plan: JobPlan = { policy: 'auto', targets: [target('ep-big', 'big')], max_attempts_per_target: 2 };
  const client = (answer: unknown): InferenceClient & { calls: number } => {
    const c = {
      calls: 0,
      invoke: async () => {
        c.calls++;
        return { body: answer };
      },
    };
    return c;
  };
  const deps = (jobs: JobStore, inference: InferenceClient) => ({
    jobs,
    inference,
    recordOutcomes: async () => undefined,
    now: () => 5,
  });

  it('never calls an endpoint for a job that is already final', async () => {
    for (const status of ['succeeded', 'failed', 'dead-lettered'] as JobStatus[]) {
      const inference = client({});
      const jobs = new MemoryJobs([job({ status, plan })]);
      expect(await invokeTarget(deps(jobs, inference), { job_id: 'j', cursor: 0 })).toEqual({
        endpoint: 'ep-big',
      });
      expect(inference.calls).toBe(0);
    }
  });

  it('refuses an attempt past the policy maximum without calling the endpoint', async () => {
    const inference = client({});
    const jobs = new MemoryJobs([job({ plan })]);
    jobs.tries.set('j/0', 2);
    const err = await invokeTarget(deps(jobs, inference), { job_id: 'j', cursor: 0 }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).name).toBe(TARGET_EXHAUSTED);
    expect(inference.calls).toBe(0);
  });

  it('stores the answer once; an answer too large to store fails the job with the reason', async () => {
    const small = new MemoryJobs([job({ plan })]);
    await invokeTarget(deps(small, client({ ok: true })), { job_id: 'j', cursor: 0 });
    expect(small.items.get('j')).toMatchObject({
      status: 'succeeded',
      result: { body: { ok: true }, endpoint: 'ep-big' },
    });

    const big = new MemoryJobs([job({ plan })]);
    await invokeTarget(deps(big, client({ text: 'x'.repeat(MAX_RESULT_BYTES) })), { job_id: 'j', cursor: 0 });
    expect(big.items.get('j')).toMatchObject({ status: 'failed', error: { code: 'result_too_large' } });
    expect(big.items.get('j')?.attempts.map((a) => a.outcome)).toEqual(['success']);
  });
});

describe('invokeTarget: failure accounting (attempt-outcome.ts)', () => {
  const plan: JobPlan = { policy: 'auto', targets: [target('ep-big', 'big')], max_attempts_per_target: 2 };
  const throwing = (err: unknown): InferenceClient => ({
    invoke: async () => {
      throw err;
    },
  });
  async function attempt(inference: InferenceClient, body?: unknown) {
    const outcomes: Outcome[] = [];
    const jobs = new MemoryJobs([
      job({ plan, ...(body ? { request: { kind: 'chat' as const, body } } : {}) }),
    ]);
    const err = (await invokeTarget(
      { jobs, inference, recordOutcomes: async (o) => void outcomes.push(...o), now: () => 5 },
      { job_id: 'j', cursor: 0 },
    ).catch((e: unknown) => e)) as Error;
    return { err, outcomes, attempts: jobs.items.get('j')?.attempts ?? [] };
  }

  it('an upstream failure is retried and counts against the endpoint', async () => {
    const { err, outcomes, attempts } = await attempt(throwing(new UpstreamError('server', 'HTTP 500', 500)));
    expect(err.name).toBe('Switchyard.Retryable');
    expect(outcomes).toEqual([{ endpoint: 'ep-big', ok: false, latency_ms: 0, at: 5, failure: 'server' }]);
    expect(attempts).toMatchObject([{ outcome: 'server', status: 500 }]);
  });

  it('a rejected request moves on and counts neither way', async () => {
    const { err, outcomes, attempts } = await attempt(
      throwing(new UpstreamError('rejected', 'HTTP 400', 400)),
    );
    expect(err.name).toBe(REJECTED);
    expect(outcomes).toEqual([]);
    expect(attempts).toMatchObject([{ outcome: 'rejected', status: 400 }]);
  });

  it("a body the client cannot serialise ends the job as the caller's error; nothing reaches the endpoint", async () => {
    let fetched = 0;
    const inference = new OpenAiHttpInferenceClient({
      fetch: async () => {
        fetched++;
        return new Response('{}');
      },
    });
    const deep = JSON.parse(`${'['.repeat(20_000)}${']'.repeat(20_000)}`) as unknown;
    const { err, outcomes, attempts } = await attempt(inference, {
      model: 'auto',
      messages: [{ role: 'user', content: 'hi' }],
      extra: deep,
    });
    expect(err.name).toBe(INVALID_REQUEST);
    expect(err.message).toMatch(/^The request cannot be sent upstream: /);
    expect(fetched).toBe(0);
    expect(outcomes).toEqual([]);
    expect(attempts).toMatchObject([{ endpoint: 'ep-big', outcome: 'not-sent' }]);
  });

  it('a defect of ours ends the job as internal, counts nothing and keeps its detail out of the job', async () => {
    const { err, outcomes, attempts } = await attempt(throwing(new TypeError('secret internals')));
    expect(err.name).toBe(INTERNAL);
    expect(outcomes).toEqual([]);
    expect(attempts).toEqual([
      {
        endpoint: 'ep-big',
        model: 'big',
        version: 'v1',
        outcome: 'not-sent',
        duration_ms: 0,
        error: 'internal error: the request was not sent',
      },
    ]);
  });

  it('records failed with the code of the step error that ended the job', async () => {
    const codes: Array<[string, string]> = [
      [INVALID_REQUEST, 'invalid_request'],
      [INTERNAL, 'internal_error'],
      ['Switchyard.NoRoute', 'no_route'],
      ['Switchyard.Retryable', 'all_targets_failed'],
      ['constructor', 'all_targets_failed'],
    ];
    for (const [name, code] of codes) {
      const jobs = new MemoryJobs([job({ plan })]);
      await recordJob({ jobs }, { job_id: 'j', outcome: 'failed', error: { Error: name, Cause: 'why' } });
      expect(jobs.items.get('j')?.error).toEqual({ code, message: 'why. Tried: no endpoint.' });
    }
  });
});

describe('notifyJob', () => {
  it('sends the public job view as a delivery named by job and state; no webhook, no call', async () => {
    const calls: WebhookDelivery[] = [];
    const webhooks = {
      notify: async (delivery: WebhookDelivery) => {
        calls.push(delivery);
      },
    };
    const jobs = new MemoryJobs([
      job({ id: 'w', status: 'succeeded', webhook_url: 'https://h.example.com', result: { body: {} } }),
      job({ id: 'n', status: 'failed' }),
    ]);
    expect(await notifyJob({ jobs, webhooks }, { job_id: 'w' })).toEqual({ status: 'notified' });
    expect(await notifyJob({ jobs, webhooks }, { job_id: 'n' })).toEqual({ status: 'no-webhook' });
    expect(calls).toEqual([
      {
        url: 'https://h.example.com',
        tenant: 't',
        job_id: 'w',
        id: 'w.succeeded',
        payload: expect.objectContaining({ id: 'w', object: 'job', status: 'succeeded' }),
      },
    ]);
    expect(JSON.stringify(calls[0]?.payload)).not.toContain('"tenant"');
  });

  it('lets a webhook failure reach the state machine (its Retry, then Catch)', async () => {
    const jobs = new MemoryJobs([
      job({ id: 'w', status: 'succeeded', webhook_url: 'https://h.example.com' }),
    ]);
    const webhooks = {
      notify: async () => {
        throw Object.assign(new Error('webhook answered 500'), { name: 'Switchyard.WebhookFailed' });
      },
    };
    const err = await notifyJob({ jobs, webhooks }, { job_id: 'w' }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('Switchyard.WebhookFailed');
  });
});

describe('job metering: one usage record per job that reached an upstream', () => {
  const plan: JobPlan = {
    policy: 'auto',
    targets: [{ ...target('ep-big', 'big'), estimated_cost_usd: 0.5 }],
    max_attempts_per_target: 2,
  };
  // $0.002 / $0.003 per 1K prompt / completion tokens.
  const prices = { cost: { input_per_1k: 0.002, output_per_1k: 0.003, per_call: 0 } };
  const answering = (usage?: { prompt_tokens: number; completion_tokens: number }): InferenceClient => ({
    invoke: async () => ({ body: { ok: true }, ...(usage ? { usage } : {}) }),
  });
  const metered = (jobs: JobStore, inference: InferenceClient, usage: MemoryUsageStore) => ({
    jobs,
    inference,
    recordOutcomes: async () => undefined,
    now: () => 40,
    metering: {
      usage: { record: (r: UsageRecord) => usage.put(r).then(() => true) },
      model: async () => prices,
    },
  });

  it('a served job: the served model prices x usage, keyed by the job id and its acceptance time', async () => {
    const usage = new MemoryUsageStore();
    const jobs = new MemoryJobs([job({ plan, created_at: 7 })]);
    await invokeTarget(metered(jobs, answering({ prompt_tokens: 9, completion_tokens: 6 }), usage), {
      job_id: 'j',
      cursor: 0,
    });
    // 9 x 0.002/1K + 6 x 0.003/1K = $0.000036
    expect(usage.all()).toEqual([
      {
        tenant: 't',
        key_id: '-',
        request_id: 'j',
        route: 'job',
        model: 'big',
        model_version: 'v1',
        endpoint: 'ep-big',
        prompt_tokens: 9,
        completion_tokens: 6,
        cost_nanos: 36_000,
        cost_usd: 0.000036,
        latency_ms: 33,
        attempts: 1,
        status: 'ok',
        at: 7,
      },
    ]);
    expect(jobs.items.get('j')?.status).toBe('succeeded');
  });

  it('no usage reported: the plan estimate; a re-run of the step after a crash keeps one record', async () => {
    const usage = new MemoryUsageStore();
    const jobs = new MemoryJobs([job({ plan })]);
    // The first run wrote its record and died before finishing the job: the step runs again.
    const crashing: JobStore = Object.assign(Object.create(jobs) as JobStore, {
      finish: async () => {
        throw new Error('container died');
      },
    });
    await expect(
      invokeTarget(metered(crashing, answering(), usage), { job_id: 'j', cursor: 0 }),
    ).rejects.toThrow();
    await invokeTarget(metered(jobs, answering(), usage), { job_id: 'j', cursor: 0 });
    expect(usage.all().map((r) => [r.request_id, r.cost_nanos, r.status])).toEqual([
      ['j', 500_000_000, 'ok'],
    ]);
  });

  it('a failed job that reached an upstream: one error record at no cost; one that reached none: no record', async () => {
    const usage = new MemoryUsageStore();
    const tried = new MemoryJobs([
      job({
        plan,
        attempts: [
          { endpoint: 'ep-big', model: 'big', version: 'v1', outcome: 'server', duration_ms: 3 },
          { endpoint: 'ep-small', model: 'small', version: 'v1', outcome: 'not-sent', duration_ms: 0 },
        ],
      }),
    ]);
    const record = { record: (r: UsageRecord) => usage.put(r).then(() => true) };
    await recordJob({ jobs: tried, usage: record, now: () => 50 }, { job_id: 'j', outcome: 'failed' });
    await recordJob({ jobs: tried, usage: record, now: () => 60 }, { job_id: 'j', outcome: 'failed' });
    expect(usage.all().map((r) => [r.endpoint, r.cost_nanos, r.status, r.attempts, r.latency_ms])).toEqual([
      ['ep-big', 0, 'error', 2, 49],
    ]);
    const unsent = new MemoryUsageStore();
    const none = new MemoryJobs([job({ id: 'k', plan })]);
    await recordJob(
      { jobs: none, usage: { record: (r) => unsent.put(r).then(() => true) } },
      { job_id: 'k', outcome: 'failed' },
    );
    expect(unsent.all()).toEqual([]);
  });
});

describe('job budgets: held at plan, settled at record, as the router reserves and settles', () => {
  // 2026-11-24T10:31:05Z: month 2026-11.
  const T = Date.UTC(2026, 10, 24, 10, 31, 5);
  const priced = compiled({
    models: [
      model('big', {
        quality: { chat: 0.9 },
        cost: { input_per_1k: 0.01, output_per_1k: 0.03, per_call: 0 },
      }),
      model('small', {
        quality: { chat: 0.4 },
        cost: { input_per_1k: 0.001, output_per_1k: 0.002, per_call: 0 },
      }),
    ],
    endpoints: [endpoint('ep-big', 'big'), endpoint('ep-small', 'small')],
    policies: [
      policy('auto', {
        models: ['big', 'small'],
        strategy: 'quality-first',
        fallback: { count: 1, mode: 'cross-model' },
      }),
    ],
  });
  // "hi" is 8 estimated prompt tokens; max_tokens 100.
  const body = { model: 'auto', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100 };
  const setup = (config: TenantBudgetConfig) => {
    const store = new MemoryBudgetStore();
    const holds = new BudgetHolds({ store, now: () => T });
    const jobs = new MemoryJobs([job({ status: 'queued', request: { kind: 'chat', body } })]);
    const deps = {
      jobs,
      registry: { get: async () => priced },
      health: { get: async () => ({ endpoints: {} }) },
      context: () => ({ now: T, random: () => 0.5 }),
      budget: { tenants: { get: async () => config }, holds, holdTtlMs: 3_960_000 },
    };
    const month = () => store.getPeriod({ tenant: 't', budget: 'usd-month', period: '2026-11' });
    return { store, holds, jobs, deps, month };
  };
  const spendSpec = (limitUsd: number): BudgetSpec => ({
    unit: 'usd_nanos',
    period: 'month',
    limit: limitUsd * 1_000_000_000,
    revision: 0,
  });

  it("holds the plan's maximum over its targets on spend, tokens and requests, named by the job, with the plan", async () => {
    const { jobs, deps, month, store } = setup({
      budget: { limit_usd: 1, period: 'month' },
      rate_limits: { tokens_per_minute: 1_000, requests_per_minute: 10 },
    });
    expect(await planJob(deps, { job_id: 'j' })).toEqual({ targets_count: 2 });
    // big: 8 x $0.01/1K + 100 x $0.03/1K = $0.00308 (small would be $0.000208): the larger.
    expect(jobs.items.get('j')?.plan?.budget_hold).toEqual({
      tenant: 't',
      lease_id: 'job.j',
      expires_at: T + 3_960_000,
      items: [
        { budget: 'usd-month', period: '2026-11', unit: 'usd_nanos', amount: 3_080_000 },
        { budget: 'tokens-minute', period: '2026-11-24T10:31Z', unit: 'tokens', amount: 108 },
        { budget: 'requests-minute', period: '2026-11-24T10:31Z', unit: 'requests', amount: 1 },
      ],
    });
    expect(await month()).toMatchObject({ available: 1_000_000_000 - 3_080_000, spent: 0 });
    expect(
      (await store.getPeriod({ tenant: 't', budget: 'requests-minute', period: '2026-11-24T10:31Z' }))
        ?.available,
    ).toBe(9);
  });

  it('a tenant without limits holds nothing; without budget deps nothing is read', async () => {
    const { jobs, deps } = setup({});
    await planJob(deps, { job_id: 'j' });
    expect(jobs.items.get('j')?.plan?.budget_hold).toBeUndefined();
  });

  it("applies the tenant record's allow-list and classification floor to the job's route", async () => {
    const { jobs, deps } = setup({ allowed_models: ['small'] });
    expect(await planJob(deps, { job_id: 'j' })).toEqual({ targets_count: 1 });
    expect(jobs.items.get('j')?.plan?.targets.map((t) => t.endpoint)).toEqual(['ep-small']);
    const phi = setup({ data_classification: 'phi' });
    await expect(planJob(phi.deps, { job_id: 'j' })).rejects.toMatchObject({ name: 'Switchyard.NoRoute' });
  });

  it('an exhausted spend budget fails the plan with insufficient_quota (not retried) and stores no plan', async () => {
    const { jobs, deps, holds, month } = setup({ budget: { limit_usd: 0.005, period: 'month' } });
    const spent = await holds.take('t', 'other', [{ spec: spendSpec(0.005), amount: 3_000_000 }], 60_000);
    if (!('lease_id' in spent)) throw new Error('refused');
    await holds.settle(spent, [3_000_000]);
    const err = (await planJob(deps, { job_id: 'j' }).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe(INSUFFICIENT_QUOTA);
    expect(err.message).toBe(
      'The monthly budget of $0.005 is exhausted: $0.002 is left in period 2026-11 and this request may ' +
        'cost up to $0.00308. It resets at 2026-12-01T00:00:00.000Z.',
    );
    expect(jobs.items.get('j')?.plan).toBeUndefined();
    expect(await month()).toMatchObject({ spent: 3_000_000, available: 2_000_000, leases: {} });
  });

  it('exactly what is left still fits (>=, not >); one nano-dollar less does not', async () => {
    const fits = setup({ budget: { limit_usd: 0.00308, period: 'month' } });
    expect(await planJob(fits.deps, { job_id: 'j' })).toEqual({ targets_count: 2 });
    expect((await fits.month())?.available).toBe(0);
    const short = setup({ budget: { limit_usd: 0.003079999, period: 'month' } });
    await expect(planJob(short.deps, { job_id: 'j' })).rejects.toMatchObject({ name: INSUFFICIENT_QUOTA });
  });

  it('the rest leased to routers in flight: a retried BudgetHeld; a per-minute limit: a retried RateLimited', async () => {
    const held = setup({ budget: { limit_usd: 0.01, period: 'month' } });
    const router = new BudgetLeases({ store: held.store, now: () => T, holder: 'r1' });
    expect((await router.reserve('t', spendSpec(0.01), 8_000_000)).ok).toBe(true);
    await expect(planJob(held.deps, { job_id: 'j' })).rejects.toMatchObject({ name: BUDGET_HELD });
    router.stop();
    const perMinute = setup({ rate_limits: { tokens_per_minute: 100 } });
    await expect(planJob(perMinute.deps, { job_id: 'j' })).rejects.toMatchObject({ name: RATE_LIMITED });
  });

  it('settles the hold to the charge the invoke step kept on the job; a second record changes nothing', async () => {
    const { jobs, deps, holds, month, store } = setup({
      budget: { limit_usd: 1, period: 'month' },
      rate_limits: { tokens_per_minute: 1_000 },
    });
    await planJob(deps, { job_id: 'j' });
    const answering: InferenceClient = {
      invoke: async () => ({ body: { ok: true }, usage: { prompt_tokens: 9, completion_tokens: 20 } }),
    };
    await invokeTarget(
      {
        jobs,
        inference: answering,
        recordOutcomes: async () => undefined,
        now: () => T,
        metering: {
          usage: { record: async () => true },
          model: async (t) => priced.modelsByKey.get(`${t.model}@${t.version}`),
        },
      },
      { job_id: 'j', cursor: 0 },
    );
    // 9 x $0.01/1K + 20 x $0.03/1K = $0.00069.
    expect(jobs.items.get('j')?.charge).toEqual({
      cost: 690_000,
      usage: { prompt_tokens: 9, completion_tokens: 20 },
    });
    await recordJob({ jobs, holds }, { job_id: 'j', outcome: 'succeeded' });
    expect(await month()).toMatchObject({ spent: 690_000, available: 1_000_000_000 - 690_000, leases: {} });
    const minute = { tenant: 't', budget: 'tokens-minute', period: '2026-11-24T10:31Z' };
    expect(await store.getPeriod(minute)).toMatchObject({ spent: 29, available: 971 });
    await recordJob({ jobs, holds }, { job_id: 'j', outcome: 'succeeded' });
    expect(await month()).toMatchObject({ spent: 690_000, available: 1_000_000_000 - 690_000 });
  });

  it('a failed job releases its hold in full; without holds deps the record step leaves it (to the sweeper)', async () => {
    const { jobs, deps, holds, month } = setup({ budget: { limit_usd: 1, period: 'month' } });
    await planJob(deps, { job_id: 'j' });
    await recordJob({ jobs }, { job_id: 'j', outcome: 'failed' });
    expect((await month())?.available).toBe(1_000_000_000 - 3_080_000);
    await recordJob({ jobs, holds }, { job_id: 'j', outcome: 'failed' });
    expect(await month()).toMatchObject({ spent: 0, available: 1_000_000_000, leases: {} });
  });

  it('a plan re-run after its plan was stored takes nothing more; a failed store gives the hold back', async () => {
    const { deps, month } = setup({ budget: { limit_usd: 1, period: 'month' } });
    await planJob(deps, { job_id: 'j' });
    await planJob(deps, { job_id: 'j' });
    expect((await month())?.available).toBe(1_000_000_000 - 3_080_000);
    const other = setup({ budget: { limit_usd: 1, period: 'month' } });
    const failing: JobStore = Object.assign(Object.create(other.jobs) as JobStore, {
      start: async () => {
        throw new Error('the job was dead-lettered meanwhile');
      },
    });
    await expect(planJob({ ...other.deps, jobs: failing }, { job_id: 'j' })).rejects.toThrow('dead-lettered');
    expect(await other.month()).toMatchObject({ spent: 0, available: 1_000_000_000, leases: {} });
  });

  it('a tenant record that cannot be read is a retried BudgetUnavailable, never a job run unmetered', async () => {
    const { deps } = setup({});
    const broken = {
      ...deps,
      budget: {
        ...deps.budget,
        tenants: {
          get: async () => {
            throw new Error('throttled');
          },
        },
      },
    };
    await expect(planJob(broken, { job_id: 'j' })).rejects.toMatchObject({
      name: 'Switchyard.BudgetUnavailable',
    });
  });
});
