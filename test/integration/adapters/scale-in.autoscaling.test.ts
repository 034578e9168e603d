// Scale-in suspension through the real Application Auto Scaling SDK client against the local
// server: only registered targets change (others are reported missing, never created), the other
// suspension flags are kept, a second call changes nothing, ids go 50 to a Describe call. Then
// the rollout steps over it: the stable and candidate versions' owned SageMaker endpoints only,
// nothing for a policy rollout or a model without owned endpoints, and the step function's
// dispatch (including the execution-ended event a stopped execution sends).
import {
  type ApplicationAutoScalingClient,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runRolloutStep } from '../../../functions/rollout-steps/rollout-steps.service.ts';
import {
  type ApplicationAutoScalingServer,
  startApplicationAutoScalingServer,
} from '../../../infra/local/application-autoscaling.server.ts';
import { type RolloutLifecycle, RolloutScaleIn } from '../../../layers/adapters/src/index.ts';
import {
  ApplicationAutoScalingScaleIn,
  createApplicationAutoScalingClient,
} from '../../../layers/adapters/src/scale-in.autoscaling.ts';
import {
  NotFoundError,
  type Registry,
  RegistrySchema,
  type Rollout,
  RolloutRequestSchema,
} from '../../../layers/core/src/index.ts';
import { LOCAL_AWS } from '../../support/local-aws.ts';

const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
const A = 'endpoint/sm-a/variant/AllTraffic';
const B = 'endpoint/sm-b/variant/blue';

let server: ApplicationAutoScalingServer;
let client: ApplicationAutoScalingClient;
let scaling: ApplicationAutoScalingScaleIn;
let seeded = 0;

/** A fresh target id per test (the server lives for the file). */
function seedTarget(prefix: string): string {
  const id = `endpoint/${prefix}-${++seeded}/variant/AllTraffic`;
  server.seed({
    ServiceNamespace: 'sagemaker',
    ResourceId: id,
    ScalableDimension: DIMENSION,
    MinCapacity: 1,
    MaxCapacity: 4,
  });
  return id;
}

beforeAll(async () => {
  server = await startApplicationAutoScalingServer();
  client = createApplicationAutoScalingClient({
    endpoint: server.url,
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
    maxAttempts: 1,
  });
  scaling = new ApplicationAutoScalingScaleIn(client);
  for (const id of [A, B]) {
    server.seed({
      ServiceNamespace: 'sagemaker',
      ResourceId: id,
      ScalableDimension: DIMENSION,
      MinCapacity: 1,
      MaxCapacity: 4,
    });
  }
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

beforeEach(() => {
  server.fail();
});

describe('ApplicationAutoScalingScaleIn', () => {
  it('suspends scale-in on registered targets only, keeping the other flags and the capacities', async () => {
    const held = seedTarget('held');
    await client.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'sagemaker',
        ResourceId: held,
        ScalableDimension: DIMENSION,
        SuspendedState: { ScheduledScalingSuspended: true },
      }),
    );
    const plain = seedTarget('plain');
    const change = await scaling.setScaleInSuspended([held, plain, 'endpoint/nope/variant/AllTraffic'], true);
    expect(change).toEqual({
      changed: [held, plain],
      unchanged: [],
      missing: ['endpoint/nope/variant/AllTraffic'],
    });
    expect(server.target(held)).toMatchObject({
      MinCapacity: 1,
      MaxCapacity: 4,
      SuspendedState: {
        DynamicScalingInSuspended: true,
        DynamicScalingOutSuspended: false,
        ScheduledScalingSuspended: true,
      },
    });
    expect(server.target(plain)?.SuspendedState.DynamicScalingInSuspended).toBe(true);
    expect(server.target('endpoint/nope/variant/AllTraffic')).toBeUndefined();
  });

  it('is idempotent: a second call registers nothing; resume clears the flag', async () => {
    const id = seedTarget('twice');
    await scaling.setScaleInSuspended([id], true);
    const registers = server.calls.RegisterScalableTarget ?? 0;
    expect(await scaling.setScaleInSuspended([id, id], true)).toEqual({
      changed: [],
      unchanged: [id],
      missing: [],
    });
    expect(server.calls.RegisterScalableTarget ?? 0).toBe(registers);
    expect(await scaling.setScaleInSuspended([id], false)).toEqual({
      changed: [id],
      unchanged: [],
      missing: [],
    });
    expect(server.target(id)?.SuspendedState.DynamicScalingInSuspended).toBe(false);
    expect(server.calls.RegisterScalableTarget ?? 0).toBe(registers + 1);
  });

  it('describes at most 50 ids a call: 50 take one call, 51 take two', async () => {
    const ids = Array.from({ length: 51 }, () => seedTarget('many'));
    const before = server.calls.DescribeScalableTargets ?? 0;
    await scaling.setScaleInSuspended(ids.slice(0, 50), true);
    expect((server.calls.DescribeScalableTargets ?? 0) - before).toBe(1);
    const change = await scaling.setScaleInSuspended(ids, true);
    expect((server.calls.DescribeScalableTargets ?? 0) - before).toBe(3);
    expect(change.changed).toEqual([ids[50]]);
    expect(change.unchanged).toHaveLength(50);
  });

  it('property: after any sequence of calls each registered target holds the last value asked for it, the other flags never change, and nothing unregistered appears', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ pick: fc.subarray([0, 1, 2, 3], { minLength: 1 }), suspended: fc.boolean() }), {
          minLength: 1,
          maxLength: 6,
        }),
        async (calls) => {
          const registered = [seedTarget('prop'), seedTarget('prop')];
          const ids = [
            ...registered,
            `endpoint/ghost-${seeded}-a/variant/AllTraffic`,
            `endpoint/ghost-${seeded}-b/variant/x`,
          ];
          const expected = new Map<string, boolean>(registered.map((id) => [id, false]));
          for (const call of calls) {
            const asked = call.pick.map((i) => ids[i] as string);
            const change = await scaling.setScaleInSuspended(asked, call.suspended);
            const changedNow = asked.filter((id) => expected.has(id) && expected.get(id) !== call.suspended);
            expect(change.changed).toEqual(changedNow);
            expect(change.missing).toEqual(asked.filter((id) => !expected.has(id)));
            for (const id of asked) if (expected.has(id)) expected.set(id, call.suspended);
          }
          for (const [id, value] of expected) {
            expect(server.target(id)?.SuspendedState).toEqual({
              DynamicScalingInSuspended: value,
              DynamicScalingOutSuspended: false,
              ScheduledScalingSuspended: false,
            });
          }
          expect(server.target(ids[2] as string)).toBeUndefined();
          expect(server.target(ids[3] as string)).toBeUndefined();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('the local server refuses, as AWS does, a new target without min and max, and min above max', async () => {
    const register = (extra: Record<string, number>) =>
      client.send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: 'sagemaker',
          ResourceId: 'endpoint/new/variant/AllTraffic',
          ScalableDimension: DIMENSION,
          ...extra,
        }),
      );
    await expect(register({})).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(register({ MinCapacity: 3, MaxCapacity: 2 })).rejects.toMatchObject({
      name: 'ValidationException',
    });
    expect(server.target('endpoint/new/variant/AllTraffic')).toBeUndefined();
    await register({ MinCapacity: 2, MaxCapacity: 2 });
    expect(server.target('endpoint/new/variant/AllTraffic')).toMatchObject({
      MinCapacity: 2,
      MaxCapacity: 2,
    });
  });

  it('rejects with the service error when a call fails', async () => {
    server.fail('FailedResourceAccessException');
    await expect(scaling.setScaleInSuspended([A], true)).rejects.toMatchObject({
      name: 'FailedResourceAccessException',
    });
  });
});

const REGISTRY: Registry = RegistrySchema.parse({
  models: [
    { id: 'm', version: 'v1', tasks: ['chat'], context_window: 4096, regions: ['us-east-1'] },
    {
      id: 'm',
      version: 'v2',
      tasks: ['chat'],
      context_window: 4096,
      regions: ['us-east-1'],
      status: 'staged',
    },
    {
      id: 'm',
      version: 'v3',
      tasks: ['chat'],
      context_window: 4096,
      regions: ['us-east-1'],
      status: 'staged',
    },
    { id: 'other', version: 'v1', tasks: ['chat'], context_window: 4096, regions: ['us-east-1'] },
  ],
  endpoints: [
    // stable: owned (default variant) and not owned
    {
      id: 'a',
      model: 'm',
      version: 'v1',
      kind: 'sagemaker',
      target: 'sm-a',
      region: 'us-east-1',
      autoscaling: { min_instances: 1, max_instances: 4 },
    },
    { id: 'c', model: 'm', version: 'v1', kind: 'sagemaker', target: 'sm-c', region: 'us-east-1' },
    // candidate: owned on a named variant; an HTTP endpoint
    {
      id: 'b',
      model: 'm',
      version: 'v2',
      kind: 'sagemaker',
      target: 'sm-b',
      region: 'us-east-1',
      autoscaling: { variant: 'blue', min_instances: 1, max_instances: 2 },
    },
    {
      id: 'h',
      model: 'm',
      version: 'v2',
      kind: 'openai-http',
      target: 'http://h.internal/v1',
      region: 'us-east-1',
    },
    // neither version of the rollout, and another model
    {
      id: 'd',
      model: 'm',
      version: 'v3',
      kind: 'sagemaker',
      target: 'sm-d',
      region: 'us-east-1',
      autoscaling: { min_instances: 1, max_instances: 2 },
    },
    {
      id: 'e',
      model: 'other',
      version: 'v1',
      kind: 'sagemaker',
      target: 'sm-e',
      region: 'us-east-1',
      autoscaling: { min_instances: 1, max_instances: 2 },
    },
  ],
  policies: [],
});

function rollout(id: string, model: string, stable: string, candidate: string): Rollout {
  return {
    ...RolloutRequestSchema.parse({ policy: 'p', model, stable, candidate }),
    id,
    status: 'running',
    created_at: 0,
    updated_at: 0,
    current_step: 0,
    history: [],
  };
}

const RECORDS: readonly Rollout[] = [
  rollout('r-m', 'm', 'v1', 'v2'),
  rollout('r-none', 'other', 'v7', 'v8'),
  // A learned policy rollout's record: no model versions to hold.
  { ...rollout('r-policy', 'm', 'v1', 'v2'), kind: 'policy' } as unknown as Rollout,
];

/** Over these records; `after`, if given, is what a second read of a rollout finds (it ended meanwhile). */
function scaleIn(records: readonly Rollout[] = RECORDS, after?: Rollout['status']): RolloutScaleIn {
  const reads = new Map<string, number>();
  return new RolloutScaleIn({
    rollouts: {
      get: async (id: string) => {
        const r = records.find((x) => x.id === id);
        if (!r) return undefined;
        const n = (reads.get(id) ?? 0) + 1;
        reads.set(id, n);
        return { rollout: n > 1 && after ? { ...r, status: after } : r, rev: n };
      },
      list: async () => [...records],
    },
    registry: { load: async () => REGISTRY },
    scaling,
  });
}

const flags = () => [A, B].map((id) => server.target(id)?.SuspendedState.DynamicScalingInSuspended);

describe('RolloutScaleIn', () => {
  beforeEach(async () => {
    await scaling.setScaleInSuspended([A, B], false);
  });

  it("holds scale-in on the stable and candidate versions' owned SageMaker endpoints only", async () => {
    expect(await scaleIn().suspend('r-m')).toEqual({
      status: 'suspended',
      changed: [A, B],
      unchanged: [],
      missing: [],
    });
    expect(flags()).toEqual([true, true]);
    expect(await scaleIn().suspend('r-m')).toEqual({
      status: 'suspended',
      changed: [],
      unchanged: [A, B],
      missing: [],
    });
    expect(await scaleIn().resume('r-m')).toEqual({
      status: 'resumed',
      changed: [A, B],
      unchanged: [],
      missing: [],
      held: [],
    });
    expect(flags()).toEqual([false, false]);
  });

  it('resume leaves held what another running rollout holds (another policy, the same stable)', async () => {
    const ended = { ...rollout('r-m', 'm', 'v1', 'v2'), status: 'promoted' as const };
    const shared = rollout('r-shared', 'm', 'v1', 'v3');
    const done = { ...rollout('r-done', 'm', 'v1', 'v2'), status: 'rolled-back' as const };
    await scaling.setScaleInSuspended([A, B], true);
    expect(await scaleIn([ended, shared, done]).resume('r-m')).toEqual({
      status: 'resumed',
      changed: [B],
      unchanged: [],
      missing: [],
      held: [A],
    });
    expect(flags()).toEqual([true, false]);
  });

  it('suspends nothing for a rollout no longer running; one that ended while suspending is resumed', async () => {
    const calls = { ...server.calls };
    const ended = { ...rollout('r-m', 'm', 'v1', 'v2'), status: 'rolled-back' as const };
    expect(await scaleIn([ended]).suspend('r-m')).toMatchObject({ status: 'skipped' });
    expect(server.calls).toEqual(calls);
    expect(await scaleIn(RECORDS, 'rolled-back').suspend('r-m')).toEqual({
      status: 'resumed',
      changed: [A, B],
      unchanged: [],
      missing: [],
      held: [],
    });
    expect(flags()).toEqual([false, false]);
  });

  it('calls nothing for a policy rollout or a model without owned endpoints', async () => {
    const calls = { ...server.calls };
    const skipped = { status: 'skipped', changed: [], unchanged: [], missing: [] };
    expect(await scaleIn().suspend('r-policy')).toEqual(skipped);
    expect(await scaleIn().resume('r-policy')).toEqual(skipped);
    expect(await scaleIn().suspend('r-none')).toEqual(skipped);
    expect(server.calls).toEqual(calls);
  });

  it('refuses an unknown rollout', async () => {
    await expect(scaleIn().suspend('r-unknown')).rejects.toBeInstanceOf(NotFoundError);
    await expect(scaleIn().resume('r-unknown')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('rollout step function: scale-in actions', () => {
  const calls: string[] = [];
  const recorder = {
    suspend: async (id: string) => {
      calls.push(`suspend ${id}`);
      return { status: 'suspended' as const, changed: [], unchanged: [], missing: [] };
    },
    resume: async (id: string) => {
      calls.push(`resume ${id}`);
      return { status: 'resumed' as const, changed: [], unchanged: [], missing: [] };
    },
  };
  // The scale-in actions never touch the lifecycle.
  const lifecycle = {} as unknown as RolloutLifecycle;

  it('dispatches suspend-scale-in, resume-scale-in, and an ended execution as a resume of its rollout', async () => {
    calls.length = 0;
    await runRolloutStep(lifecycle, { action: 'suspend-scale-in', rollout_id: 'r1' }, recorder);
    await runRolloutStep(lifecycle, { action: 'resume-scale-in', rollout_id: 'r2' }, recorder);
    await runRolloutStep(
      lifecycle,
      {
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        detail: { name: 'r3', status: 'ABORTED', executionArn: 'arn:aws:states:::execution:m:r3' },
      },
      recorder,
    );
    expect(calls).toEqual(['suspend r1', 'resume r2', 'resume r3']);
  });

  it('refuses a scale-in action without a rollout id, and another event type', async () => {
    await expect(runRolloutStep(lifecycle, { action: 'suspend-scale-in' }, recorder)).rejects.toThrow(
      /rollout_id/,
    );
    await expect(
      runRolloutStep(lifecycle, { 'detail-type': 'Scheduled Event', detail: { name: 'r3' } }, recorder),
    ).rejects.toThrow(/action/);
  });
});
