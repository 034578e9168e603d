// Scale-in protection during rollouts on the local stack: the synthesized rollout state machine
// suspends scale-in on the stack-owned SageMaker endpoints of the stable and candidate versions
// (the scalable targets the templates declare, in the local Application Auto Scaling server) while
// the rollout runs, and restores it when it is promoted, rolled back by its gates, or rolled back
// by an operator (the execution is stopped: the execution-ended rule resumes). Endpoints of other
// versions, and endpoints the stack does not scale, are left alone. A failing scaling call does
// not stop the rollback.
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../infra/local/local-stack.ts';
import { ROLLED_BACK_ERROR } from '../../layers/core/src/index.ts';
import { eventually } from '../support/eventually.ts';
import { adminClient, openAiClient, setFault, startUncachedStack } from '../support/local-stack.helpers.ts';

const REGISTRY = `
models:
  - { id: sup, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
  - { id: sup, version: v2, tasks: [chat], context_window: 4096, regions: [us-east-1], status: staged }
  - { id: sup, version: v3, tasks: [chat], context_window: 4096, regions: [us-east-1], status: staged }
  - { id: sup, version: v4, tasks: [chat], context_window: 4096, regions: [us-east-1], status: staged }
  - { id: sup, version: v5, tasks: [chat], context_window: 4096, regions: [us-east-1], status: staged }
endpoints:
  - { id: sup-v1, model: sup, version: v1, kind: sagemaker, target: sm-sup-v1, region: us-east-1, autoscaling: { min_instances: 1, max_instances: 3 } }
  - { id: sup-v1-own, model: sup, version: v1, kind: sagemaker, target: sm-sup-v1-theirs, region: us-east-1 }
  - { id: sup-v2, model: sup, version: v2, kind: sagemaker, target: sm-sup-v2, region: us-east-1, autoscaling: { min_instances: 1, max_instances: 3 } }
  - { id: sup-v3, model: sup, version: v3, kind: sagemaker, target: sm-sup-v3, region: us-east-1, autoscaling: { min_instances: 2, max_instances: 3 } }
  - { id: sup-v4, model: sup, version: v4, kind: sagemaker, target: sm-sup-v4, region: us-east-1, autoscaling: { min_instances: 1, max_instances: 3 } }
  - { id: sup-v5, model: sup, version: v5, kind: sagemaker, target: sm-sup-v5, region: us-east-1, autoscaling: { variant: blue, min_instances: 1, max_instances: 2 } }
policies:
  - name: support
    match: { model: support }
    models: [sup]
    canary: [{ model: sup, stable: v1, weight: 0 }]
    fallback: { count: 1 }
    circuit: { failure_threshold: 100000, min_requests: 100000 }
local:
  defaults: { latency_ms: 2, jitter_ms: 0 }
`;

const GATES = { max_error_rate: 0.05, max_p95_latency_ratio: 5, min_requests: 5 };
const target = (v: string, variant = 'AllTraffic') => `endpoint/sm-sup-${v}/variant/${variant}`;

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

beforeEach(() => {
  stack.autoscaling.fail();
});

interface RolloutView {
  id: string;
  status: string;
  history: Array<{ index: number }>;
  execution_arn: string;
  outcome?: { status: string; by: string };
}

async function traffic(n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async () => {
      const user = `conversation-${conversation++}`;
      await client.chat.completions
        .create({ model: 'support', user, messages: [{ role: 'user', content: `hi from ${user}` }] })
        .catch(() => undefined);
    }),
  );
}

const rollout = async (id: string) => (await admin.get<RolloutView>(`/admin/rollouts/${id}`)).body;

async function driveUntil(id: string, done: (r: RolloutView) => boolean): Promise<RolloutView> {
  return eventually(
    async () => {
      const r = await rollout(id);
      if (done(r)) return r;
      await traffic(8);
      return undefined;
    },
    { timeoutMs: 60_000, what: `rollout ${id}` },
  );
}

/** Starts a rollout and waits (without traffic, so it cannot end) until its first step has begun. */
async function started(stable: string, candidate: string, steps = [50, 100]): Promise<string> {
  const res = await admin.post<RolloutView>('/admin/rollouts', {
    policy: 'support',
    model: 'sup',
    stable,
    candidate,
    steps,
    wait_seconds: 60,
    gates: GATES,
    max_extensions: 1000,
  });
  expect(res.status).toBe(202);
  const id = res.body.id;
  await eventually(async () => ((await rollout(id)).history.length > 0 ? true : undefined), {
    what: `rollout ${id} to begin its first step`,
  });
  return id;
}

/** DynamicScalingInSuspended of each target, by resource id. */
const suspended = (...ids: string[]) =>
  Object.fromEntries(
    ids.map((id) => [id, stack.autoscaling.target(id)?.SuspendedState.DynamicScalingInSuspended]),
  );

describe('scale-in protection during rollouts', () => {
  it("seeds the templates' scalable targets: one per owned endpoint, none for the endpoint the stack does not scale", () => {
    expect(stack.autoscaling.target(target('v1'))).toMatchObject({ MinCapacity: 1, MaxCapacity: 3 });
    expect(stack.autoscaling.target(target('v3'))).toMatchObject({ MinCapacity: 2, MaxCapacity: 3 });
    expect(stack.autoscaling.target(target('v5', 'blue'))).toMatchObject({ MinCapacity: 1, MaxCapacity: 2 });
    expect(stack.autoscaling.target('endpoint/sm-sup-v1-theirs/variant/AllTraffic')).toBeUndefined();
    expect(suspended(target('v1'), target('v2'), target('v3'))).toEqual({
      [target('v1')]: false,
      [target('v2')]: false,
      [target('v3')]: false,
    });
  });

  it('holds scale-in on stable and candidate while the rollout runs, and restores it on promotion', async () => {
    const id = await started('v1', 'v2');
    expect(suspended(target('v1'), target('v2'), target('v3'))).toEqual({
      [target('v1')]: true,
      [target('v2')]: true,
      [target('v3')]: false,
    });
    const done = await driveUntil(id, (r) => r.status !== 'running');
    expect(done.status).toBe('promoted');
    const execution = await stack.sfn.waitForExecution(done.execution_arn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(suspended(target('v1'), target('v2'))).toEqual({ [target('v1')]: false, [target('v2')]: false });
  });

  it('restores scale-in when the gates roll the candidate back', async () => {
    const id = await started('v2', 'v3');
    expect(suspended(target('v2'), target('v3'))).toEqual({ [target('v2')]: true, [target('v3')]: true });
    await setFault(stack, 'sup-v3', 'error');
    const done = await driveUntil(id, (r) => r.status !== 'running');
    await setFault(stack, 'sup-v3', 'ok');
    expect(done.outcome).toMatchObject({ status: 'rolled-back', by: 'gates' });
    const execution = await stack.sfn.waitForExecution(done.execution_arn);
    expect(execution.error).toBe(ROLLED_BACK_ERROR);
    expect(suspended(target('v2'), target('v3'))).toEqual({ [target('v2')]: false, [target('v3')]: false });
  });

  it('a failing scaling call does not stop the rollback: it ends RolledBack, the error kept in the execution', async () => {
    const id = await started('v2', 'v4');
    expect(suspended(target('v4'))).toEqual({ [target('v4')]: true });
    stack.autoscaling.fail('FailedResourceAccessException');
    await setFault(stack, 'sup-v4', 'error');
    const done = await driveUntil(id, (r) => r.status !== 'running');
    await setFault(stack, 'sup-v4', 'ok');
    expect(done.outcome).toMatchObject({ status: 'rolled-back', by: 'gates' });
    const execution = await stack.sfn.waitForExecution(done.execution_arn);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe(ROLLED_BACK_ERROR);
    const entered = execution.history
      .filter((h) => h.type.endsWith('StateEntered'))
      .map((h) => (h.details as { name?: string } | undefined)?.name);
    expect(entered.slice(-3)).toEqual(['Rollback', 'ResumeScaleInRolledBack', 'RolledBack']);
    const failedEnd = execution.history.filter((h) => h.type === 'FailStateEntered').at(-1);
    expect(JSON.parse(String((failedEnd?.details as { input?: string } | undefined)?.input))).toMatchObject({
      scale_in_error: { Error: 'FailedResourceAccessException' },
    });
  });

  it('restores scale-in when an operator rolls back (the stopped execution is resumed by the execution-ended rule)', async () => {
    stack.autoscaling.fail();
    // The previous test left v4 held (its resume failed); the stable v2 was restored by nothing yet.
    const id = await started('v2', 'v5', [50]);
    expect(suspended(target('v5', 'blue'))).toEqual({ [target('v5', 'blue')]: true });
    const rolledBack = await admin.post<RolloutView>(`/admin/rollouts/${id}/rollback`, {
      reason: 'not today',
    });
    expect(rolledBack.status).toBe(200);
    const execution = await stack.sfn.waitForExecution(rolledBack.body.execution_arn);
    expect(execution.status).toBe('ABORTED');
    await eventually(
      async () =>
        stack.autoscaling.target(target('v5', 'blue'))?.SuspendedState.DynamicScalingInSuspended === false
          ? true
          : undefined,
      { what: 'scale-in resumed on the candidate' },
    );
    expect(suspended(target('v2'), target('v5', 'blue'))).toEqual({
      [target('v2')]: false,
      [target('v5', 'blue')]: false,
    });
  });
});
