// The job workflow's steps with fakes: the plan routes a job as the sync API would (stored routing
// headers, the tenant's allow-list), the invoke step never calls an endpoint for a final job nor
// past the policy's attempts per target, an oversized answer fails the job instead of breaking
// it, and the notify step sends the public view and lets failures reach the state machine.

import { MemoryUsageStore, OpenAiHttpInferenceClient } from '@switchyard/adapters';
import type {
  AttemptRecord,
  InferenceClient,
  Job,
  JobFinal,
  JobPlan,
  JobStatus,
  JobStore,
  Outcome,
  PlanTarget,
  UsageRecord,
  WebhookDelivery,
} from '@switchyard/core';
import { UpstreamError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import {
  INTERNAL,
  INVALID_REQUEST,
  invokeTarget,
  MAX_RESULT_BYTES,
  notifyJob,
  planJob,
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
        cost_micros: 36,
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
    expect(usage.all().map((r) => [r.request_id, r.cost_micros, r.status])).toEqual([['j', 500_000, 'ok']]);
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
    expect(usage.all().map((r) => [r.endpoint, r.cost_micros, r.status, r.attempts, r.latency_ms])).toEqual([
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
