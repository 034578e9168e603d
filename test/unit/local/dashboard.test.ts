// The dashboard's state: each endpoint's time to first token (EWMA and p95) beside its latency.
import { describe, expect, it } from 'vitest';
import { DecisionLog, dashboardState } from '../../../infra/local/dashboard.ts';

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
});
