// Model version rollouts on the local stack, through the admin API and the synthesized rollout
// state machine (its Wait states shortened): a healthy candidate is promoted through every step;
// one that starts failing at the 25 % step is rolled back by its gates and traffic returns to
// stable; an operator can roll back at once; one rollout per canary at a time.
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../infra/local/local-stack.ts';
import { ROLLED_BACK_ERROR } from '../../layers/core/src/index.ts';
import { eventually } from '../support/eventually.ts';
import { adminClient, openAiClient, setFault, startUncachedStack } from '../support/local-stack.helpers.ts';

const REGISTRY = `
models:
  - { id: sup, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
  - { id: sup, version: v2, tasks: [chat], context_window: 4096, regions: [us-east-1], status: staged }
  - { id: sup, version: v3, tasks: [chat], context_window: 4096, regions: [us-east-1], status: staged }
endpoints:
  - { id: sup-v1, model: sup, version: v1, kind: openai-http, target: "http://v1.internal/v1", region: us-east-1 }
  - { id: sup-v2, model: sup, version: v2, kind: openai-http, target: "http://v2.internal/v1", region: us-east-1 }
  - { id: sup-v3, model: sup, version: v3, kind: openai-http, target: "http://v3.internal/v1", region: us-east-1 }
policies:
  - name: support
    match: { model: support }
    models: [sup]
    canary: [{ model: sup, stable: v1, weight: 0 }]
    fallback: { count: 1 }
    # Breakers that stay out of the gates' way: the gates are what this test is about.
    circuit: { failure_threshold: 100000, min_requests: 100000 }
local:
  defaults: { latency_ms: 2, jitter_ms: 0 }
`;

const GATES = { max_error_rate: 0.05, max_p95_latency_ratio: 5, min_requests: 5 };

let stack: LocalStack;
let client: OpenAI;
let admin: ReturnType<typeof adminClient>;
let conversation = 0;

beforeAll(async () => {
  stack = await startUncachedStack(REGISTRY, { waitOverrideMs: 20, retryIntervalOverrideMs: 5 });
  client = openAiClient(stack);
  admin = adminClient(stack);
});

afterAll(async () => {
  await stack?.stop();
});

interface StepView {
  index: number;
  percent: number;
  evaluations: number;
  result?: string;
  last_evaluation?: {
    verdict: string;
    reason: string;
    candidate: { requests: number; failures: number; error_rate: number; p95_ms?: number };
    stable: { requests: number };
    p95_ratio?: number;
  };
}
interface RolloutView {
  id: string;
  status: string;
  current_step: number;
  history: StepView[];
  execution_arn: string;
  outcome?: { status: string; reason: string; by: string };
}

/** Sends `n` chat requests at once, each a new conversation; resolves to the models that served them (or the error). */
async function traffic(n: number): Promise<Array<string | null>> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const user = `conversation-${conversation++}`;
      try {
        const { response } = await client.chat.completions
          .create({ model: 'support', user, messages: [{ role: 'user', content: `hi from ${user}` }] })
          .withResponse();
        return response.headers.get('x-switchyard-model');
      } catch (err) {
        return `error ${(err as { status?: number }).status ?? String(err)}`;
      }
    }),
  );
}

const rollout = async (id: string) => (await admin.get<RolloutView>(`/admin/rollouts/${id}`)).body;

/** Drives traffic in small batches until `done(rollout)` holds. */
async function driveUntil(id: string, done: (r: RolloutView) => boolean, batch = 8): Promise<RolloutView> {
  return eventually(
    async () => {
      const r = await rollout(id);
      if (done(r)) return r;
      await traffic(batch);
      return undefined;
    },
    { timeoutMs: 60_000, what: `rollout ${id}` },
  );
}

const canaryOfSupport = async () => {
  const list = await admin.get<{ data: Array<{ key: string; policy: { canary: unknown[] } }> }>(
    '/admin/policies',
  );
  return list.body.data.find((p) => p.key === 'support')?.policy.canary;
};
const modelStatus = async (key: string) => {
  const list = await admin.get<{
    data: Array<{ key: string; model: { status: string; status_reason?: string } }>;
  }>('/admin/models');
  return list.body.data.find((m) => m.key === key)?.model;
};

describe('rollouts', () => {
  it('validates the request, naming the field', async () => {
    const res = await admin.post<{ error: { param: string | null } }>('/admin/rollouts', {
      policy: 'support',
      model: 'sup',
      stable: 'v1',
      candidate: 'v2',
      steps: [50, 25],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('steps');
    const unknown = await admin.post<{ error: { param: string | null } }>('/admin/rollouts', {
      policy: 'support',
      model: 'sup',
      stable: 'v1',
      candidate: 'v9',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.param).toBe('candidate');
  });

  it('promotes a healthy candidate through every step; traffic then goes to it', async () => {
    const started = await admin.post<RolloutView>('/admin/rollouts', {
      policy: 'support',
      model: 'sup',
      stable: 'v1',
      candidate: 'v2',
      steps: [5, 25, 50, 100],
      wait_seconds: 60,
      gates: GATES,
      max_extensions: 1000,
    });
    expect(started.status).toBe(202);
    expect(started.body.status).toBe('running');

    const done = await driveUntil(started.body.id, (r) => r.status !== 'running');
    expect(done.status).toBe('promoted');
    expect(done.outcome).toMatchObject({ status: 'promoted', by: 'completed' });
    expect(done.history.map((h) => [h.percent, h.result])).toEqual([
      [5, 'passed'],
      [25, 'passed'],
      [50, 'passed'],
      [100, 'passed'],
    ]);
    for (const step of done.history) {
      expect(step.last_evaluation?.verdict).toBe('pass');
      expect(step.last_evaluation?.candidate.requests).toBeGreaterThanOrEqual(GATES.min_requests);
      expect(step.last_evaluation?.candidate.failures).toBe(0);
    }
    // Stable kept most traffic at 5 %; at 100 % the candidate had it (stable only stragglers
    // from before the weight changed).
    const share = (h: StepView | undefined) => {
      const e = h?.last_evaluation;
      return (e?.candidate.requests ?? 0) / ((e?.candidate.requests ?? 0) + (e?.stable.requests ?? 0));
    };
    expect(share(done.history[0])).toBeLessThan(0.5);
    expect(share(done.history[3])).toBeGreaterThan(0.5);
    const execution = await stack.sfn.waitForExecution(done.execution_arn);
    expect(execution.status).toBe('SUCCEEDED');

    expect(await canaryOfSupport()).toEqual([{ model: 'sup', stable: 'v2', weight: 0 }]);
    expect((await modelStatus('sup@v2'))?.status).toBe('active');
    expect((await modelStatus('sup@v1'))?.status).toBe('staged');
    const served = await traffic(20);
    expect(new Set(served)).toEqual(new Set(['sup@v2']));
  });

  it('rolls back a candidate that starts failing at the 25 % step; traffic returns to stable', async () => {
    const started = await admin.post<RolloutView>('/admin/rollouts', {
      policy: 'support',
      model: 'sup',
      stable: 'v2',
      candidate: 'v3',
      steps: [5, 25, 50, 100],
      wait_seconds: 60,
      gates: GATES,
      max_extensions: 1000,
    });
    expect(started.status).toBe(202);
    const id = started.body.id;

    // Step 1 (5 %) passes on healthy traffic; once step 2 (25 %) has begun, the candidate breaks.
    await driveUntil(id, (r) => r.history.some((h) => h.index === 1), 4);
    await setFault(stack, 'sup-v3', 'error');
    const done = await driveUntil(id, (r) => r.status !== 'running', 4);

    expect(done.status).toBe('rolled-back');
    expect(done.outcome?.by).toBe('gates');
    expect(done.outcome?.reason).toMatch(/^gate breached: error rate/);
    expect(done.history.map((h) => [h.percent, h.result])).toEqual([
      [5, 'passed'],
      [25, 'breached'],
    ]);
    const breach = done.history[1]?.last_evaluation;
    expect(breach?.verdict).toBe('breach');
    expect(breach?.candidate.failures).toBeGreaterThan(0);
    expect(breach?.candidate.error_rate).toBeGreaterThan(GATES.max_error_rate);
    const execution = await stack.sfn.waitForExecution(done.execution_arn);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe(ROLLED_BACK_ERROR);

    expect(await canaryOfSupport()).toEqual([{ model: 'sup', stable: 'v2', candidate: 'v3', weight: 0 }]);
    const v3 = await modelStatus('sup@v3');
    expect(v3?.status).toBe('failed');
    expect(v3?.status_reason).toContain(id);
    expect(v3?.status_reason).toContain('error rate');

    // Traffic is back on stable: no conversation reaches the candidate any more.
    await setFault(stack, 'sup-v3', 'ok');
    const before = stack.sim.stats('sup-v3').requests;
    const served = await traffic(40);
    expect(new Set(served)).toEqual(new Set(['sup@v2']));
    expect(stack.sim.stats('sup-v3').requests).toBe(before);
  });

  it('allows one rollout per canary at a time, and rolls back at once on request', async () => {
    const first = await admin.post<RolloutView>('/admin/rollouts', {
      policy: 'support',
      model: 'sup',
      stable: 'v2',
      candidate: 'v3',
      wait_seconds: 60,
      gates: GATES,
      max_extensions: 1000,
    });
    expect(first.status).toBe(202);
    const id = first.body.id;
    // The failed candidate was staged again so the canary can reach it.
    await eventually(async () => ((await modelStatus('sup@v3'))?.status === 'staged' ? true : undefined), {
      what: 'the candidate to be staged',
    });
    const second = await admin.post<{ error: { code: string; message: string } }>('/admin/rollouts', {
      policy: 'support',
      model: 'sup',
      stable: 'v2',
      candidate: 'v3',
    });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain(id);

    const rolledBack = await admin.post<RolloutView>(`/admin/rollouts/${id}/rollback`, {
      reason: 'changed our mind',
    });
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body.status).toBe('rolled-back');
    expect(rolledBack.body.outcome).toMatchObject({
      by: 'manual',
      reason: 'rolled back by an operator: changed our mind',
    });
    const execution = await stack.sfn.waitForExecution(rolledBack.body.execution_arn);
    expect(execution.status).toBe('ABORTED');
    expect((await modelStatus('sup@v3'))?.status).toBe('failed');
    expect(await canaryOfSupport()).toEqual([{ model: 'sup', stable: 'v2', candidate: 'v3', weight: 0 }]);
    // Idempotent; and listed.
    expect((await admin.post<RolloutView>(`/admin/rollouts/${id}/rollback`)).body.status).toBe('rolled-back');
    const list = await admin.get<{ data: RolloutView[] }>('/admin/rollouts');
    expect(list.body.data.map((r) => r.status)).toEqual(['rolled-back', 'rolled-back', 'promoted']);
  });
});
