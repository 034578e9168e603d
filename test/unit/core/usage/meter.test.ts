// Metering in the core: which requests reached an upstream, what an answer is charged, and the
// usage record of a request, field by field.
import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../../../layers/core/src/index.ts';
import {
  chargedCostNanos,
  costHeader,
  lastReached,
  reachedUpstream,
  usageRecordOf,
} from '../../../../layers/core/src/index.ts';

const attempt = (endpoint: string, outcome: AttemptRecord['outcome'], error?: string): AttemptRecord => ({
  endpoint,
  model: 'm',
  version: 'v1',
  outcome,
  duration_ms: 5,
  ...(error ? { error } : {}),
});

describe('reachedUpstream', () => {
  it('every outcome but not-sent and skipped-deadline reached one', () => {
    expect(reachedUpstream([])).toBe(false);
    expect(reachedUpstream([attempt('a', 'not-sent'), attempt('b', 'skipped-deadline')])).toBe(false);
    for (const o of ['success', 'timeout', 'connection', 'server', 'rejected', 'aborted'] as const) {
      expect(reachedUpstream([attempt('a', o)]), o).toBe(true);
    }
  });

  it('attempts refused locally (a short circuit) did not', () => {
    const local = (a: AttemptRecord) => a.error === 'local';
    expect(reachedUpstream([attempt('a', 'connection', 'local')], local)).toBe(false);
    expect(lastReached([attempt('a', 'server'), attempt('b', 'connection', 'local')], local)?.endpoint).toBe(
      'a',
    );
    expect(lastReached([attempt('a', 'server'), attempt('b', 'timeout')])?.endpoint).toBe('b');
    expect(lastReached([attempt('a', 'not-sent')])).toBeUndefined();
  });
});

describe('chargedCostNanos', () => {
  const model = { cost: { input_per_1k: 0.002, output_per_1k: 0.003, per_call: 0 } };
  it("the model's prices x the upstream's usage, rounded up", () => {
    // 9 x 0.002/1K + 6 x 0.003/1K = $0.000036
    expect(
      chargedCostNanos(model, { prompt_tokens: 9, completion_tokens: 6 }, { estimated_cost_usd: 1 }),
    ).toBe(36_000);
    // 1 completion at $0.0000025/1K = $0.0000000025: 2.5 nano-dollars, rounded up to 3
    const odd = { cost: { input_per_1k: 0, output_per_1k: 0.0000025, per_call: 0 } };
    expect(chargedCostNanos(odd, { prompt_tokens: 0, completion_tokens: 1 }, { estimated_cost_usd: 1 })).toBe(
      3,
    );
    // What micro-dollar rounding overcharged: 2 embedding tokens at $0.00002/1K are 40 nano-dollars.
    const embed = { cost: { input_per_1k: 0.00002, output_per_1k: 0, per_call: 0 } };
    expect(
      chargedCostNanos(embed, { prompt_tokens: 2, completion_tokens: 0 }, { estimated_cost_usd: 1 }),
    ).toBe(40);
  });

  it('the plan estimate when the upstream reported no usage (or the model is unknown)', () => {
    expect(chargedCostNanos(model, undefined, { estimated_cost_usd: 0.0001234 })).toBe(123_400);
    expect(chargedCostNanos(model, undefined, { estimated_cost_usd: 0.0000001234 })).toBe(124);
    expect(
      chargedCostNanos(
        undefined,
        { prompt_tokens: 9, completion_tokens: 6 },
        { estimated_cost_usd: 0.00005 },
      ),
    ).toBe(50_000);
  });
});

describe('usageRecordOf', () => {
  it('builds the record: cost in nano-USD and USD, latency from start to end, key id "-" when none', () => {
    expect(
      usageRecordOf({
        tenant: 'acme',
        key_id: undefined,
        request_id: 'r1',
        route: 'completion',
        at: 1_000,
        ended_at: 1_250,
        target: { model: 'm', version: 'v2', endpoint: 'e1' },
        usage: { prompt_tokens: 3, completion_tokens: 4 },
        cost_nanos: 1_234_000,
        attempts: 2,
        status: 'ok',
        ttft_ms: 40,
        stream: true,
      }),
    ).toEqual({
      tenant: 'acme',
      key_id: '-',
      request_id: 'r1',
      route: 'completion',
      model: 'm',
      model_version: 'v2',
      endpoint: 'e1',
      prompt_tokens: 3,
      completion_tokens: 4,
      cost_nanos: 1_234_000,
      cost_usd: 0.001234,
      latency_ms: 250,
      ttft_ms: 40,
      attempts: 2,
      status: 'ok',
      stream: true,
      at: 1_000,
    });
  });

  it('no usage is zero tokens; a clock that went back is zero latency', () => {
    const r = usageRecordOf({
      tenant: 't',
      key_id: 'k',
      request_id: 'r',
      route: 'chat',
      at: 1_000,
      ended_at: 999,
      target: { model: 'm', version: 'v1', endpoint: 'e' },
      usage: undefined,
      cost_nanos: 0,
      attempts: 0,
      status: 'error',
    });
    expect([r.prompt_tokens, r.completion_tokens, r.latency_ms, r.attempts, 'ttft_ms' in r]).toEqual([
      0,
      0,
      0,
      1,
      false,
    ]);
  });

  it('the header shows every nano-dollar of the cost (9 decimals, from the integer)', () => {
    expect(costHeader(36_000)).toBe('0.000036000');
    expect(costHeader(40)).toBe('0.000000040');
    expect(costHeader(1)).toBe('0.000000001');
    expect(costHeader(1_234_567_891)).toBe('1.234567891');
    expect(costHeader(12_000_000_000)).toBe('12.000000000');
    expect(costHeader(0)).toBe('0.000000000');
  });
});
