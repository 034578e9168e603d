// The refit's learned canary gate end to end over the real adapters against dynalite: decision
// records with their arm in the decisions table, feedback joined by the feedback port, the policy
// in the registry table; one refit promotes the policy (strategy learned, revision moved), and a
// dearer learned arm is rolled back to weight 0.
import { DynamoDbDecisionLog, DynamoDbLearnedStateStore, DynamoDbModelRegistry } from '@switchyard/adapters';
import type { DecisionRecord } from '@switchyard/core';
import { compileRegistry, PolicySchema } from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { refit } from '../../../functions/refit/refit.service.ts';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

const NOW = 1_795_514_400_000;
let dynamo: LocalDynamo;
let log: DynamoDbDecisionLog;
let state: DynamoDbLearnedStateStore;
let registry: DynamoDbModelRegistry;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});
beforeEach(async () => {
  const decisions = await dynamo.createTable('decisions');
  log = new DynamoDbDecisionLog({ client: dynamo.client, tableName: decisions });
  state = new DynamoDbLearnedStateStore({ client: dynamo.client, tableName: decisions });
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
    regions: ['us-east-1'],
  });
  await registry.putEndpoint({
    id: 'small-1',
    model: 'small',
    version: 'v1',
    kind: 'openai-http',
    target: 'http://small/v1',
    region: 'us-east-1',
  });
  await registry.putPolicy({
    name: 'auto',
    match: { model: 'auto' },
    strategy: 'quality-first',
    learning: { canary: { weight: 0.1, min_events: 3, tolerance: 0.1 } },
  });
});

const record = (id: string, arm: 'static' | 'learned', cost: number): DecisionRecord => ({
  request_id: id,
  tenant: 'acme',
  at: NOW - 60_000,
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

/** Three scored answers per arm: static scores 0.75 at 100 µUSD, learned `score` at `cost`. */
async function seed(score: number, cost: number): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await log.put(record(`s${i}`, 'static', 100));
    await log.addFeedback('acme', `s${i}`, { score: 0.75, at: NOW });
    await log.put(record(`l${i}`, 'learned', cost));
    await log.addFeedback('acme', `l${i}`, { score, at: NOW });
  }
}

const runRefit = () =>
  refit({
    log,
    state,
    registry: { get: async () => compileRegistry(await registry.load()) },
    policies: registry,
    now: () => NOW,
  });

describe('refit: learned canary verdicts in the registry', () => {
  it('promotes a learned arm within tolerance: the stored policy serves with strategy learned', async () => {
    await seed(0.75, 110); // cost cap 100 · 1.1 = 110.00000000000001: within
    const before = await registry.item('policy', 'auto');
    const summary = await runRefit();
    expect(summary.canaries).toEqual([
      expect.objectContaining({
        policy: 'auto',
        verdict: 'promote',
        applied: true,
        static: { events: 3, quality: 0.75, cost_micros: 100 },
        learned: { events: 3, quality: 0.75, cost_micros: 110 },
      }),
    ]);
    const after = await registry.item('policy', 'auto');
    expect(after?.rev).toBe((before?.rev ?? 0) + 1);
    const policy = PolicySchema.parse(after?.doc);
    expect(policy.strategy).toBe('learned');
    expect(policy.learning?.canary).toBeUndefined();
    // The next refit finds no canary to judge.
    expect((await runRefit()).canaries).toEqual([]);
  });

  it('rolls back a dearer learned arm: weight 0, static strategy kept', async () => {
    await seed(0.75, 111);
    const summary = await runRefit();
    expect(summary.canaries[0]).toMatchObject({ verdict: 'rollback', applied: true });
    const policy = PolicySchema.parse((await registry.item('policy', 'auto'))?.doc);
    expect(policy.strategy).toBe('quality-first');
    expect(policy.learning?.canary).toEqual({ weight: 0, min_events: 3, tolerance: 0.1 });
  });
});
