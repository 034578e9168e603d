// The dashboard's state: each endpoint's time to first token (EWMA and p95) beside its latency;
// rollouts of either kind (a learned policy rollout shows as static -> learned).
import { describe, expect, it } from 'vitest';
import { DecisionLog, dashboardState } from '../../../infra/local/dashboard.ts';
import { AnyRolloutRequestSchema, type Rollout } from '../../../layers/core/src/index.ts';

describe('dashboardState', () => {
  it('shows TTFT beside latency, rounded, and blank where nothing streamed', async () => {
    const state = (await dashboardState({
      endpoints: () => [
        { id: 'a', model: 'm', kind: 'openai-http', fault: 'ok' },
        { id: 'b', model: 'm', kind: 'sagemaker', fault: 'cut' },
      ],
      inflight: () => 0,
      log: new DecisionLog(),
      rollouts: async () => [],
      health: async () => ({
        endpoints: {
          a: {
            endpoint: 'a',
            status: 'up',
            checked_at: 1,
            circuit: 'closed',
            latency_ewma_ms: 812.4,
            ttft_ewma_ms: 95.6,
            ttft_p95_ms: 187.5,
          },
          b: { endpoint: 'b', status: 'up', checked_at: 1, circuit: 'closed', latency_ewma_ms: 40 },
        },
      }),
    })) as { endpoints: Array<Record<string, unknown>> };
    expect(state.endpoints.map((e) => [e.id, e.fault, e.latency_ms, e.ttft_ms, e.ttft_p95_ms])).toEqual([
      ['a', 'ok', 812, 96, 188],
      ['b', 'cut', 40, '', ''],
    ]);
  });

  it('lists model and learned policy rollouts, the weight only while running', async () => {
    const record = { status: 'running' as const, updated_at: 1, current_step: 1, history: [] };
    const rollouts: Rollout[] = [
      {
        ...(AnyRolloutRequestSchema.parse({ kind: 'policy', policy: 'auto', steps: [5, 25] }) as Extract<
          Rollout,
          { kind: 'policy' }
        >),
        ...record,
        id: 'p1',
        created_at: 2,
      },
      {
        ...(AnyRolloutRequestSchema.parse({
          policy: 'support',
          model: 'm',
          stable: 'v1',
          candidate: 'v2',
        }) as Extract<Rollout, { kind: 'model' }>),
        ...record,
        status: 'promoted',
        id: 'm1',
        created_at: 1,
      },
    ];
    const state = (await dashboardState({
      endpoints: () => [],
      inflight: () => 0,
      log: new DecisionLog(),
      rollouts: async () => rollouts,
      health: async () => ({ endpoints: {} }),
    })) as { rollouts: Array<Record<string, unknown>> };
    expect(state.rollouts.map((r) => [r.id, r.model, r.stable, r.candidate, r.weight, r.status])).toEqual([
      // Step 1 of a policy rollout is its first canary step (step 0 is the shadow).
      ['p1', 'policy auto', 'static', 'learned', '5%', 'running'],
      ['m1', 'm', 'v1', 'v2', '', 'promoted'],
    ]);
  });
});
