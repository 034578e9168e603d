// A learned policy rolled out by the rollout workflow on the local stack (the synthesized state
// machine, its Wait states shortened): `POST /admin/rollouts {kind: policy}` puts the static
// policy (quality-first: the dear model) in shadow (step 0), then its one canary step sets
// `learning.canary` to 50 %:
// each caller (by `user`) goes to its sticky arm; the learned arm (λ 2) serves the cheap model.
// The test scores every answer (a feedback simulator with a hidden quality per model). Scored
// worse than static, the learned arm is rolled back by the gate (weight 0, the execution fails
// Switchyard.RolledBack); an operator's rollback aborts the execution; scored within tolerance on a later rollout, it is promoted (strategy
// learned, the execution succeeds) and every caller is then served by the learned strategy. And
// the admin API's checks of a policy rollout request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { learnedCanaryArm, ROLLED_BACK_ERROR, seededRandom } from '../../layers/core/src/index.ts';
import { eventually } from '../support/eventually.ts';
import { adminClient, CHEAP_AND_DEAR, registryFile } from '../support/local-stack.helpers.ts';

const REGISTRY = `${CHEAP_AND_DEAR}policies:
  - name: auto
    match: { model: auto }
    strategy: quality-first
    learning: { lambda: 2, explore: 0 }
  - name: plain
    match: { model: plain }
    strategy: quality-first
local:
  defaults: { latency_ms: 1, jitter_ms: 0 }
  quality: { cheap: 0.9, dear: 0.92 }
`;
const USERS = 80;
const GATES = { min_events: 20, tolerance: 0.1 };

let stack: LocalStack;
let admin: ReturnType<typeof adminClient>;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    usagePlan: false,
    logLevel: 'SILENT',
    waitOverrideMs: 250,
    retryIntervalOverrideMs: 5,
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0', OUTCOME_FLUSH_MS: '0' },
  });
  admin = adminClient(stack);
});

afterAll(async () => {
  await stack?.stop();
});

const headers = () => ({ authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' });

interface Arm {
  events: number;
  quality: number;
  cost_micros: number;
}
interface PolicyRolloutView {
  id: string;
  kind: string;
  status: string;
  execution_arn: string;
  history: Array<{
    index: number;
    percent: number;
    result?: string;
    last_evaluation?: { verdict: string; reason: string; static: Arm; learned: Arm };
  }>;
  outcome?: { status: string; by: string; reason: string };
}
interface PolicyView {
  strategy: string;
  learning?: { shadow?: boolean; canary?: { weight: number } };
}

/** One chat request by `user`; resolves to the serving model and the request id. */
async function ask(user: string): Promise<{ model: string; id: string }> {
  const res = await fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify({
      model: 'auto',
      user,
      messages: [{ role: 'user', content: 'Say hello.' }],
      max_tokens: 8,
    }),
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return {
    model: res.headers.get('x-switchyard-model')?.split('@')[0] ?? '',
    id: res.headers.get('x-request-id') ?? '',
  };
}

/**
 * Every user asks once (each served by its arm), then scores the answer by `hidden` quality
 * (± 0.05): nothing is scored before every answer is in, so the gate cannot end the step while
 * the split is still being checked. Resolves to the callers per arm.
 */
async function scoredTraffic(hidden: Record<string, number>, seed: number) {
  const random = seededRandom(seed);
  const byArm = { static: 0, learned: 0 };
  const answers: Array<{ model: string; id: string }> = [];
  for (let i = 0; i < USERS; i++) {
    const user = `user-${i}`;
    const arm = learnedCanaryArm('auto', user, 0.5);
    byArm[arm]++;
    const answer = await ask(user);
    expect(answer.model, user).toBe(arm === 'learned' ? 'cheap' : 'dear');
    answers.push(answer);
  }
  for (const { model, id } of answers) {
    const score = (hidden[model] as number) + (random() * 2 - 1) * 0.05;
    const fb = await fetch(`${stack.url}/v1/feedback`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ request_id: id, score }),
    });
    await fb.arrayBuffer();
    expect(fb.status).toBe(200);
  }
  expect(byArm.static).toBeGreaterThanOrEqual(GATES.min_events);
  expect(byArm.learned).toBeGreaterThanOrEqual(GATES.min_events);
  return byArm;
}

const rollout = async (id: string) => (await admin.get<PolicyRolloutView>(`/admin/rollouts/${id}`)).body;
const policy = async (key: string) =>
  (await admin.get<{ data: Array<{ key: string; policy: PolicyView }> }>('/admin/policies')).body.data.find(
    (p) => p.key === key,
  )?.policy;

/** Starts a one-step (50 %) policy rollout of `auto` and waits for the step after the shadow to set the weight. */
async function startRollout(): Promise<string> {
  const res = await admin.post<PolicyRolloutView>('/admin/rollouts', {
    kind: 'policy',
    policy: 'auto',
    steps: [50],
    wait_seconds: 1,
    gates: GATES,
    max_extensions: 1000,
  });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ kind: 'policy', status: 'running' });
  await eventually(
    async () => ((await policy('auto'))?.learning?.canary?.weight === 0.5 ? true : undefined),
    {
      what: 'the step to set the learned canary to 50 %',
    },
  );
  return res.body.id;
}

/** The gate decided on at least min_events scored answers per arm, all of this rollout's traffic. */
function expectJudgedOn(done: PolicyRolloutView, byArm: { static: number; learned: number }): void {
  const e = done.history[1]?.last_evaluation;
  for (const arm of ['static', 'learned'] as const) {
    expect(e?.[arm].events).toBeGreaterThanOrEqual(GATES.min_events);
    expect(e?.[arm].events).toBeLessThanOrEqual(byArm[arm]);
  }
}

const ended = (id: string) =>
  eventually(
    async () => {
      const r = await rollout(id);
      return r.status !== 'running' ? r : undefined;
    },
    { timeoutMs: 60_000, what: `rollout ${id} to end` },
  );

describe('a learned policy rolled out by the rollout workflow', () => {
  it('refuses bad policy rollouts in the OpenAI error shape', async () => {
    const bad = async (body: Record<string, unknown>) =>
      admin.post<{ error: { type: string; param: string | null; message: string } }>('/admin/rollouts', body);
    const unknown = await bad({ kind: 'policy', policy: 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({
      type: 'invalid_request_error',
      param: 'policy',
      message: 'policy: no policy "nope" in the registry',
    });
    const plain = await bad({ kind: 'policy', policy: 'plain' });
    expect(plain.status).toBe(400);
    expect(plain.body.error.message).toBe(
      'policy: policy "plain" has no learning settings (add `learning` to it first)',
    );
    const full = await bad({ kind: 'policy', policy: 'auto', steps: [50, 100] });
    expect(full.status).toBe(400);
    expect(full.body.error.param).toBe('steps.1');
    const model = await bad({ kind: 'policy', policy: 'auto', model: 'cheap' });
    expect(model.status).toBe(400);
    const kind = await bad({ kind: 'weights', policy: 'auto' });
    expect(kind.status).toBe(400);
    expect(kind.body.error.param).toBe('kind');
    // Nothing started: the policy is as it was.
    expect((await policy('auto'))?.learning?.canary).toBeUndefined();
    expect((await policy('auto'))?.learning?.shadow).toBe(false);
  });

  it('rolls back a learned arm scored worse than static: weight 0, the execution fails', async () => {
    const id = await startRollout();
    expect((await policy('auto'))?.learning?.shadow).toBe(true);
    const second = await admin.post<{ error: { message: string } }>('/admin/rollouts', {
      kind: 'policy',
      policy: 'auto',
    });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain(id);

    const byArm = await scoredTraffic({ cheap: 0.5, dear: 0.92 }, 3);
    const done = await ended(id);
    expect(done.status).toBe('rolled-back');
    expect(done.outcome?.by).toBe('gates');
    expect(done.outcome?.reason).toMatch(/^gate breached: learned worse than static: quality 0\.\d{4} < /);
    expect(done.history.map((h) => [h.percent, h.result])).toEqual([
      [0, 'passed'],
      [50, 'breached'],
    ]);
    expect(done.history[0]?.last_evaluation?.reason).toMatch(
      /^shadow: \d+ decisions logged the learned choice$/,
    );
    expectJudgedOn(done, byArm);
    const execution = await stack.sfn.waitForExecution(done.execution_arn);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe(ROLLED_BACK_ERROR);

    const auto = await policy('auto');
    expect(auto?.strategy).toBe('quality-first');
    expect(auto?.learning?.canary?.weight).toBe(0);
    // Every caller is back on the static strategy (the dear model).
    const learnedUser = Array.from({ length: USERS }, (_, i) => `user-${i}`).find(
      (u) => learnedCanaryArm('auto', u, 0.5) === 'learned',
    ) as string;
    expect((await ask(learnedUser)).model).toBe('dear');
  });

  it('an operator rolls a running policy rollout back at once: the execution is aborted', async () => {
    const id = await startRollout();
    const res = await admin.post<PolicyRolloutView>(`/admin/rollouts/${id}/rollback`, {
      reason: 'not today',
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('rolled-back');
    expect(res.body.outcome).toMatchObject({ by: 'manual', reason: 'rolled back by an operator: not today' });
    const execution = await stack.sfn.waitForExecution(res.body.execution_arn);
    expect(execution.status).toBe('ABORTED');
    expect((await policy('auto'))?.learning?.canary?.weight).toBe(0);
    expect((await policy('auto'))?.strategy).toBe('quality-first');
  });

  it('promotes a learned arm within tolerance on a later rollout; every caller is then served by it', async () => {
    const id = await startRollout();
    // The first rollout's scored answers are outside this step's window: only these count.
    const byArm = await scoredTraffic({ cheap: 0.9, dear: 0.92 }, 7);
    const done = await ended(id);
    expect(done.status).toBe('promoted');
    expect(done.outcome).toMatchObject({ status: 'promoted', by: 'completed' });
    expect(done.history.map((h) => [h.percent, h.result])).toEqual([
      [0, 'passed'],
      [50, 'passed'],
    ]);
    expectJudgedOn(done, byArm);
    const execution = await stack.sfn.waitForExecution(done.execution_arn);
    expect(execution.status).toBe('SUCCEEDED');

    const auto = await policy('auto');
    expect(auto?.strategy).toBe('learned');
    expect(auto?.learning?.canary).toBeUndefined();
    // Promoted: the static arm's callers are served by the learned strategy too (cheap, λ 2).
    const staticUser = Array.from({ length: USERS }, (_, i) => `user-${i}`).find(
      (u) => learnedCanaryArm('auto', u, 0.5) === 'static',
    ) as string;
    expect((await ask(staticUser)).model).toBe('cheap');
    // Already learned: a new policy rollout is refused.
    const again = await admin.post<{ error: { message: string } }>('/admin/rollouts', {
      kind: 'policy',
      policy: 'auto',
    });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toBe('policy: policy "auto" already serves with strategy learned');
  });
});
