// The rollout lifecycle for learned policy rollouts (kind policy) over the real adapters against
// dynalite: rollout records and locks, the policy in the registry table, decision records and
// their feedback in the decisions table. Start puts the policy in shadow; step 0 is the shadow
// step (weight 0, passes, counting the decisions that logged a learned choice); each later step
// sets the learned canary's weight; a step's gate reads only the decisions since it began; promotion
// serves the policy with `strategy: learned`, rollback sets the weight to 0; a manual rollback
// stops the execution and a step racing it converges on the rollback.
import {
  DynamoDbDecisionLog,
  DynamoDbModelRegistry,
  DynamoDbRolloutStore,
  RolloutLifecycle,
} from '@switchyard/adapters';
import type { DecisionRecord, PolicyRollout } from '@switchyard/core';
import { AnyRolloutRequestSchema, ConflictError, InvalidRequestError, PolicySchema } from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

const NOW = 1_795_514_400_000;
let dynamo: LocalDynamo;
let log: DynamoDbDecisionLog;
let registry: DynamoDbModelRegistry;
let store: DynamoDbRolloutStore;
let clock: number;
let started: string[];
let stopped: string[];
let ids: number;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});
beforeEach(async () => {
  clock = NOW;
  started = [];
  stopped = [];
  ids = 0;
  log = new DynamoDbDecisionLog({ client: dynamo.client, tableName: await dynamo.createTable('decisions') });
  store = new DynamoDbRolloutStore({
    client: dynamo.client,
    tableName: await dynamo.createTable('rollouts'),
  });
  registry = new DynamoDbModelRegistry({
    client: dynamo.client,
    tableName: await dynamo.createTable('registry'),
    now: () => NOW,
  });
  await registry.putModel({
    id: 'small',
    version: 'v1',
    tasks: ['chat'],
    context_window: 4096,
    regions: ['r'],
  });
  await registry.putEndpoint({
    id: 'small-1',
    model: 'small',
    version: 'v1',
    kind: 'openai-http',
    target: 'http://small/v1',
    region: 'r',
  });
  await registry.putPolicy({
    name: 'auto',
    match: { model: 'auto' },
    strategy: 'quality-first',
    canary: [{ model: 'small', stable: 'v1' }],
    learning: { lambda: 2, explore: 0 },
  });
  await registry.putPolicy({ name: 'plain', match: { model: 'plain' } });
  await registry.putPolicy({ name: 'done', strategy: 'learned', learning: {} });
});

const lifecycle = (withDecisions = true) =>
  new RolloutLifecycle({
    rollouts: store,
    registry,
    health: { records: async () => [] },
    ...(withDecisions ? { decisions: log } : {}),
    workflow: {
      start: async (id) => {
        started.push(id);
        return `arn:exec:${id}`;
      },
      stop: async (arn) => {
        stopped.push(arn);
        return true;
      },
    },
    now: () => clock,
    newId: () => `r${++ids}`,
  });

const request = (over: Record<string, unknown> = {}) =>
  AnyRolloutRequestSchema.parse({
    kind: 'policy',
    policy: 'auto',
    steps: [10, 50],
    wait_seconds: 60,
    gates: { min_events: 3, tolerance: 0.1 },
    max_extensions: 2,
    ...over,
  });

const policy = async (name = 'auto') => PolicySchema.parse((await registry.item('policy', name))?.doc);

const record = (id: string, arm: 'static' | 'learned', cost: number, at: number): DecisionRecord => ({
  request_id: id,
  tenant: 'acme',
  at,
  policy: 'auto',
  strategy: arm === 'learned' ? 'learned' : 'quality-first',
  model: 'small@v1',
  endpoint: 'small-1',
  primary: 'small@v1',
  propensity: 1,
  explored: false,
  prior: 0.5,
  context: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  prompt_tokens: 10,
  status: 'ok',
  latency_ms: 5,
  cost_micros: cost,
  attempts: 1,
  arm,
});

/** `n` scored answers per arm at `at`: static 0.75 at 100 µUSD, learned `score` at `cost`. */
async function seed(prefix: string, n: number, score: number, cost: number, at: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await log.put(record(`${prefix}s${i}`, 'static', 100, at));
    await log.addFeedback('acme', `${prefix}s${i}`, { score: 0.75, at });
    await log.put(record(`${prefix}l${i}`, 'learned', cost, at));
    await log.addFeedback('acme', `${prefix}l${i}`, { score, at });
  }
}

describe('policy rollout: start', () => {
  it('refuses an unknown policy, one without learning settings, and one already learned (400, param policy)', async () => {
    const l = lifecycle();
    for (const [name, message] of [
      ['nope', 'policy: no policy "nope" in the registry'],
      ['plain', 'policy: policy "plain" has no learning settings (add `learning` to it first)'],
      ['done', 'policy: policy "done" already serves with strategy learned'],
    ] as const) {
      const err = await l.start(request({ policy: name })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect(err).toMatchObject({ message, status: 400, param: 'policy' });
    }
    expect(started).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it('puts the policy in shadow (canary weight 0), stores the record and starts the workflow', async () => {
    const r = await lifecycle().start(request());
    expect(r).toMatchObject({ id: 'r1', kind: 'policy', status: 'running', execution_arn: 'arn:exec:r1' });
    expect(started).toEqual(['r1']);
    const p = await policy();
    expect(p.strategy).toBe('quality-first');
    expect(p.learning).toEqual({
      lambda: 2,
      explore: 0,
      shadow: true,
      canary: { weight: 0, min_events: 3, tolerance: 0.1 },
    });
    // The model canaries of the policy are not touched.
    expect(p.canary).toEqual([{ model: 'small', stable: 'v1', weight: 0 }]);
  });

  it('one learned rollout per policy: a second is a conflict naming the first; a model rollout is not', async () => {
    const l = lifecycle();
    await l.start(request());
    const err = await l.start(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(
      'rollout r1 is already managing the learned strategy of policy "auto"; roll it back or let it finish first',
    );
    await registry.putModel({
      id: 'small',
      version: 'v2',
      tasks: ['chat'],
      context_window: 4096,
      regions: ['r'],
    });
    const model = await l.start(
      AnyRolloutRequestSchema.parse({ policy: 'auto', model: 'small', stable: 'v1', candidate: 'v2' }),
    );
    expect(model).toMatchObject({ id: 'r3', kind: 'model', status: 'running' });
  });
});

describe('policy rollout: steps, gates, outcome', () => {
  it('sets each step’s weight, judges only the step’s window, and promotes to strategy learned', async () => {
    const l = lifecycle();
    await l.start(request());
    // The shadow step: weight 0, then a pass that counts this policy's shadowed decisions.
    expect(await l.beginStep('r1', 0)).toEqual({ weight: 0, is_last: false, stopped: false });
    expect((await policy()).learning?.canary?.weight).toBe(0);
    const shadowed = { model: 'small@v1', propensity: 1, explored: false };
    await log.put({ ...record('sh1', 'static', 100, NOW), shadow: shadowed });
    await log.put({ ...record('sh2', 'static', 100, NOW), policy: 'other', shadow: shadowed });
    await log.put(record('sh3', 'static', 100, NOW));
    expect(await l.evaluate('r1', 0, 0)).toEqual({
      verdict: 'pass',
      reason: 'shadow: 1 decisions logged the learned choice',
    });
    // Before the canary step began: a much worse learned arm that must not count.
    await seed('old', 3, 0.1, 500, NOW + 999);
    clock = NOW + 1_000;
    expect(await l.beginStep('r1', 1)).toEqual({ weight: 0.1, is_last: false, stopped: false });
    expect((await policy()).learning?.canary?.weight).toBe(0.1);
    expect((await policy()).learning?.shadow).toBe(true);
    await seed('a', 2, 0.75, 110, NOW + 1_000);
    clock = NOW + 61_000;
    expect(await l.evaluate('r1', 1, 0)).toEqual({
      verdict: 'wait',
      reason: 'waiting for feedback: 2 static, 2 learned scored; need 3 each',
    });
    // Exactly at the step's start counts (>=).
    await seed('b', 1, 0.75, 110, NOW + 1_000);
    const pass = await l.evaluate('r1', 1, 1);
    expect(pass.verdict).toBe('pass');
    expect(pass.reason).toBe(
      'learned within tolerance: quality 0.7500 >= 0.6500, cost 110.0 <= 110.0 micro-USD',
    );
    const r = (await l.get('r1')) as PolicyRollout;
    expect(r.history[0]).toMatchObject({ index: 0, percent: 0, result: 'passed', evaluations: 1 });
    expect(r.history.slice(1)).toEqual([
      {
        index: 1,
        percent: 10,
        started_at: NOW + 1_000,
        evaluations: 2,
        ended_at: NOW + 61_000,
        result: 'passed',
        last_evaluation: {
          at: NOW + 61_000,
          verdict: 'pass',
          reason: pass.reason,
          static: { events: 3, quality: 0.75, cost_micros: 100 },
          learned: { events: 3, quality: 0.75, cost_micros: 110 },
        },
      },
    ]);
    expect(await l.beginStep('r1', 2)).toEqual({ weight: 0.5, is_last: true, stopped: false });
    expect((await policy()).learning?.canary?.weight).toBe(0.5);
    const done = await l.promote('r1');
    expect(done.status).toBe('promoted');
    expect(done.outcome).toMatchObject({
      by: 'completed',
      reason: 'every step passed its gates: policy "auto" serves with the learned strategy',
    });
    const p = await policy();
    expect(p.strategy).toBe('learned');
    expect(p.learning?.canary).toBeUndefined();
    // Idempotent: promoting again rewrites nothing (the revision stays).
    const rev = (await registry.item('policy', 'auto'))?.rev;
    expect((await l.promote('r1')).status).toBe('promoted');
    expect((await registry.item('policy', 'auto'))?.rev).toBe(rev);
    // The lock is gone: a new rollout may start (and finds the policy learned: 400).
    await expect(l.start(request())).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(l.rollbackNow('r1')).rejects.toThrow(
      'rollout r1 already promoted the learned strategy of policy "auto" (set its strategy back to go back)',
    );
  });

  it('a dearer learned arm breaches; the workflow’s rollback sets weight 0 and keeps the static strategy', async () => {
    const l = lifecycle();
    await l.start(request());
    await l.beginStep('r1', 1);
    await seed('a', 3, 0.75, 111, NOW);
    const breach = await l.evaluate('r1', 1, 0);
    expect(breach.verdict).toBe('breach');
    expect(breach.reason).toBe(
      'learned worse than static: quality 0.7500 >= 0.6500, cost 111.0 > 110.0 micro-USD',
    );
    const r = await l.rollbackFromWorkflow('r1', { gate: breach });
    expect(r.outcome).toMatchObject({
      status: 'rolled-back',
      by: 'gates',
      reason: `gate breached: ${breach.reason}`,
    });
    expect(r.history.map((h) => [h.percent, h.result])).toEqual([[10, 'breached']]);
    const p = await policy();
    expect(p.strategy).toBe('quality-first');
    expect(p.learning?.canary).toEqual({ weight: 0, min_events: 3, tolerance: 0.1 });
    expect(p.learning?.shadow).toBe(true);
    // Idempotent: rolling back again rewrites nothing.
    const rev = (await registry.item('policy', 'auto'))?.rev;
    expect((await l.rollbackNow('r1')).outcome?.by).toBe('gates');
    expect((await registry.item('policy', 'auto'))?.rev).toBe(rev);
    // Lock released: another rollout of the policy may start.
    expect((await l.start(request())).id).toBe('r2');
  });

  it('too little feedback breaches once the extensions are used up', async () => {
    const l = lifecycle();
    await l.start(request());
    await l.beginStep('r1', 1);
    expect((await l.evaluate('r1', 1, 1)).verdict).toBe('wait');
    expect(await l.evaluate('r1', 1, 2)).toEqual({
      verdict: 'breach',
      reason: 'insufficient feedback after 2 extra waits: 0 static, 0 learned scored; need 3 each',
    });
  });

  it('an evaluation without the decision log fails (the workflow catches it and rolls back)', async () => {
    await lifecycle().start(request());
    const steps = lifecycle(false);
    await steps.beginStep('r1', 0);
    await expect(steps.evaluate('r1', 0, 0)).rejects.toThrow('this function cannot read the decision log');
  });

  it('a manual rollback stops the execution; a step racing it converges on weight 0', async () => {
    const l = lifecycle();
    await l.start(request());
    await l.beginStep('r1', 1);
    const manual = await l.rollbackNow('r1', 'rolled back by an operator');
    expect(stopped).toEqual(['arn:exec:r1']);
    expect(manual.outcome).toMatchObject({ status: 'rolled-back', by: 'manual' });
    expect((await policy()).learning?.canary?.weight).toBe(0);
    // A step in flight wrote its weight after the rollback...
    const p = await policy();
    await registry.putPolicy({
      ...p,
      learning: { ...p.learning, canary: { weight: 0.5, min_events: 3, tolerance: 0.1 } },
    });
    // ...and the next step finds the record final and re-applies the rollback.
    expect(await l.beginStep('r1', 2)).toEqual({ weight: 0.5, is_last: true, stopped: true });
    expect((await policy()).learning?.canary?.weight).toBe(0);
    expect((await l.evaluate('r1', 1, 0)).verdict).toBe('stopped');
    expect((await l.promote('r1')).status).toBe('rolled-back');
    expect((await policy()).strategy).toBe('quality-first');
  });
});
