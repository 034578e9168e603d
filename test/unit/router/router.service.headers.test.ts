// The router service's answer headers, in literal dollars: x-switchyard-cost-usd is the served
// model's input price times the upstream's prompt tokens plus its output price times the
// completion tokens plus the per-call price (prices chosen asymmetric, so swapping prompt and
// completion changes the figure), else the plan's estimate when the upstream reports no usage;
// rounded up to the nano-dollar (what the budget and the usage record are charged).
import type { Caller } from '@switchyard/adapters/lambda';
import { describe, expect, it } from 'vitest';
import { RouterService } from '../../../functions/router/router.service.ts';
import type {
  InferenceClient,
  InferenceResult,
  Outcome,
  PlanTarget,
} from '../../../layers/core/src/index.ts';
import { UpstreamError } from '../../../layers/core/src/index.ts';
import { compiled, endpoint, model, NO_HEALTH, NOW, policy } from '../core/fixtures.ts';

const registry = compiled({
  models: [
    model('m', {
      cost: { input_per_1k: 0.0005, output_per_1k: 0.0015, per_call: 0.0001 },
      quality: { chat: 0.9 },
    }),
    model('n', { cost: { input_per_1k: 0.002, output_per_1k: 0.001 }, quality: { chat: 0.1 } }),
  ],
  endpoints: [endpoint('m-1', 'm'), endpoint('n-1', 'n')],
  policies: [policy('auto', { strategy: 'quality-first', fallback: { count: 1, mode: 'cross-model' } })],
});
const caller: Caller = { tenant: 't1', role: 'consumer' };
const completion = { id: 'c1', object: 'chat.completion', choices: [] };

function service(answer: (target: PlanTarget) => InferenceResult | Error) {
  const recorded: Outcome[] = [];
  const inference: InferenceClient = {
    invoke: async (target) => {
      const r = answer(target);
      if (r instanceof Error) throw r;
      return r;
    },
  };
  const svc = new RouterService({
    registry: { get: async () => registry },
    health: { get: async () => NO_HEALTH },
    inference,
    recordOutcomes: async (o) => {
      recorded.push(...o);
    },
    now: () => NOW,
    random: () => 0.5,
    healthFreshMs: 90_000,
  });
  return { svc, recorded };
}

const chat = (over: Record<string, unknown> = {}) => ({
  model: 'auto',
  messages: [{ role: 'user', content: 'Hello' }],
  max_tokens: 100,
  ...over,
});

describe('x-switchyard-cost-usd', () => {
  it('prices the upstream`s prompt tokens at the input price and completion tokens at the output price', async () => {
    // 1200 x 0.0005/1K + 300 x 0.0015/1K + 0.0001 = 0.0006 + 0.00045 + 0.0001
    const { svc } = service(() => ({
      body: completion,
      usage: { prompt_tokens: 1200, completion_tokens: 300 },
    }));
    const out = await svc.chat(chat(), {}, caller);
    expect(out.headers['x-switchyard-cost-usd']).toBe('0.001150000');
  });

  it('gives a different figure when only the completion side grows (the prices are not interchangeable)', async () => {
    // 300 x 0.0005/1K + 1200 x 0.0015/1K + 0.0001 = 0.00015 + 0.0018 + 0.0001
    const { svc } = service(() => ({
      body: completion,
      usage: { prompt_tokens: 300, completion_tokens: 1200 },
    }));
    const out = await svc.chat(chat(), {}, caller);
    expect(out.headers['x-switchyard-cost-usd']).toBe('0.002050000');
  });

  it('uses the prices of the model that served, after a fallback', async () => {
    // n served: 1000 x 0.002/1K + 1000 x 0.001/1K = 0.003
    const { svc, recorded } = service((t) =>
      t.endpoint === 'm-1'
        ? new UpstreamError('server', 'm-1 is broken', 500)
        : { body: completion, usage: { prompt_tokens: 1000, completion_tokens: 1000 } },
    );
    const out = await svc.chat(chat(), {}, caller);
    expect(out.headers).toMatchObject({
      'x-switchyard-cost-usd': '0.003000000',
      'x-switchyard-model': 'n@v1',
      'x-switchyard-endpoint': 'n-1',
      'x-switchyard-attempts': '2',
      'x-switchyard-policy': 'auto',
      'x-switchyard-strategy': 'quality-first',
      'x-switchyard-route-reason': 'quality-first; fallback; 2 candidates, 0 excluded',
    });
    expect(out.body).toMatchObject({ id: 'c1', model: 'n' });
    expect(recorded.map((o) => [o.endpoint, o.ok, o.failure])).toEqual([
      ['m-1', false, 'server'],
      ['n-1', true, undefined],
    ]);
  });

  it('falls back to the plan`s estimate without usage: 9 prompt tokens (estimated) and max_tokens 100', async () => {
    // "Hello": 3 priming + 4 per message + 2 text tokens = 9; 9 x 0.0005/1K + 100 x 0.0015/1K + 0.0001
    const { svc } = service(() => ({ body: completion }));
    const out = await svc.chat(chat(), {}, caller);
    // $0.0002545 is charged exactly: budgets and usage records hold nano-dollars (micro-dollars rounded it up to $0.000255).
    expect(out.headers['x-switchyard-cost-usd']).toBe('0.000254500');
    expect(out.headers['x-switchyard-route-reason']).toBe('quality-first; primary; 2 candidates, 0 excluded');
  });

  it('estimates 512 output tokens when the request sets no limit; max_completion_tokens wins over max_tokens', async () => {
    const { svc } = service(() => ({ body: completion }));
    // 9 x 0.0005/1K + 512 x 0.0015/1K + 0.0001 = $0.0008725 (exact in nano-dollars)
    const none = await svc.chat(chat({ max_tokens: undefined }), {}, caller);
    expect(none.headers['x-switchyard-cost-usd']).toBe('0.000872500');
    // 9 x 0.0005/1K + 200 x 0.0015/1K + 0.0001 = $0.0004045
    const both = await svc.chat(chat({ max_tokens: 100, max_completion_tokens: 200 }), {}, caller);
    expect(both.headers['x-switchyard-cost-usd']).toBe('0.000404500');
  });

  it('counts zero usage as zero tokens, leaving the per-call price', async () => {
    const { svc } = service(() => ({ body: completion, usage: { prompt_tokens: 0, completion_tokens: 0 } }));
    const out = await svc.chat(chat(), {}, caller);
    expect(out.headers['x-switchyard-cost-usd']).toBe('0.000100000');
  });
});
