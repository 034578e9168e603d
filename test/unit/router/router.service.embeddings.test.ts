// The router service's embeddings route over a fake inference client: the call it sends (inputs
// as a list, no hints, no encoding), the answer in OpenAI's shape (floats, base64), usage and
// cost from the upstream's tokens or the counted ones, a fallback on an invalid answer, outcomes
// recorded; and chat n > 1 reaching only the endpoint with supports_n, with n passed through.
import type { Caller } from '@switchyard/adapters/lambda';
import { describe, expect, it } from 'vitest';
import { RouterService } from '../../../functions/router/router.service.ts';
import type {
  InferenceCall,
  InferenceClient,
  InferenceResult,
  Outcome,
  PlanTarget,
} from '../../../layers/core/src/index.ts';
import { NoCandidateError, UpstreamError } from '../../../layers/core/src/index.ts';
import { compiled, endpoint, model, NO_HEALTH, NOW, policy } from '../core/fixtures.ts';

const registry = compiled({
  models: [
    model('emb', {
      tasks: ['embedding'],
      cost: { input_per_1k: 0.5, per_call: 0.25 },
      embedding: { dimensions: 2, accepts_dimensions: true },
    }),
    model('chat-m', { cost: { input_per_1k: 0.001, output_per_1k: 0.002 } }),
  ],
  endpoints: [
    endpoint('emb-1', 'emb'),
    endpoint('emb-2', 'emb'),
    endpoint('tgi', 'chat-m'),
    endpoint('vllm', 'chat-m', { supports_n: true }),
  ],
  policies: [
    policy('auto', {
      match: { model: 'auto', task: 'embedding' },
      strategy: 'quality-first',
      fallback: { count: 1, mode: 'same-model-first' },
    }),
  ],
});
const caller: Caller = { tenant: 't1', role: 'consumer' };

function service(answer: (target: PlanTarget, call: InferenceCall) => InferenceResult | Error) {
  const recorded: Outcome[] = [];
  const calls: Array<[string, InferenceCall]> = [];
  const inference: InferenceClient = {
    invoke: async (target, call) => {
      calls.push([target.endpoint, call]);
      const r = answer(target, call);
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
  return { svc, recorded, calls };
}

const vectors = (...v: number[][]): InferenceResult => ({ body: { vectors: v } });

describe('embeddings', () => {
  it('sends the inputs as a list, answers floats with the upstream`s usage priced at the input price', async () => {
    const { svc, calls } = service(() => ({
      ...vectors([0.6, 0.8], [1, 0]),
      usage: { prompt_tokens: 1000, completion_tokens: 0 },
    }));
    const out = await svc.embeddings(
      { model: 'auto', input: ['a', 'b'], user: 'u1', 'x-switchyard': { priority: 'high' } },
      {},
      caller,
    );
    expect(calls.map(([, c]) => c)).toEqual([{ kind: 'embedding', body: { input: ['a', 'b'], user: 'u1' } }]);
    expect(out.body).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.6, 0.8] },
        { object: 'embedding', index: 1, embedding: [1, 0] },
      ],
      model: 'emb',
      usage: { prompt_tokens: 1000, total_tokens: 1000 },
    });
    // 1000 x 0.5/1K + 0.25 per call.
    expect(out.headers['x-switchyard-cost-usd']).toBe('0.750000000');
    expect(out.headers['x-switchyard-model']).toBe('emb@v1');
    expect(out.headers['x-switchyard-policy']).toBe('auto');
  });

  it('without upstream usage: the counted tokens, in the body and the cost', async () => {
    const { svc } = service(() => vectors([1, 0]));
    // "abcdefgh" is 2 tokens: 2 x 0.5/1K + 0.25.
    const out = await svc.embeddings(
      { model: 'emb', input: 'abcdefgh', encoding_format: 'base64' },
      {},
      caller,
    );
    expect(out.body).toMatchObject({
      data: [{ object: 'embedding', index: 0, embedding: 'AACAPwAAAAA=' }],
      usage: { prompt_tokens: 2, total_tokens: 2 },
    });
    expect(out.headers['x-switchyard-cost-usd']).toBe('0.251000000');
  });

  it('an invalid answer moves to the next endpoint and counts against the first', async () => {
    let first: string | undefined;
    const { svc, recorded } = service((t) => {
      first ??= t.endpoint;
      return t.endpoint === first
        ? new UpstreamError('invalid-response', `${t.endpoint}: embeddings: 0 vectors for 1 inputs`)
        : vectors([1, 0]);
    });
    const out = await svc.embeddings({ model: 'emb', input: 'x', dimensions: 2 }, {}, caller);
    const second = first === 'emb-1' ? 'emb-2' : 'emb-1';
    expect(out.headers['x-switchyard-endpoint']).toBe(second);
    expect(out.headers['x-switchyard-attempts']).toBe('2');
    expect(recorded.map((o) => [o.endpoint, o.ok])).toEqual([
      [first, false],
      [second, true],
    ]);
  });

  it('a bad body is a 400 naming input, nothing sent', async () => {
    const { svc, calls } = service(() => vectors([1, 0]));
    const err = await svc
      .embeddings({ model: 'emb', input: ['ok', ''] }, {}, caller)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, param: 'input.1' });
    expect(calls).toEqual([]);
  });

  it('dimensions above the model`s: the constraint`s 400, nothing sent', async () => {
    const { svc, calls } = service(() => vectors([1, 0]));
    const err = await svc
      .embeddings({ model: 'emb', input: 'x', dimensions: 3 }, {}, caller)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoCandidateError);
    expect(err).toMatchObject({ status: 400, param: 'dimensions', rule: 'dimensions' });
    expect(calls).toEqual([]);
  });

  it('the dry run takes an embeddings body', async () => {
    const { svc } = service(() => vectors([1, 0]));
    const out = (await svc.dryRun({ model: 'auto', input: 'x' }, {}, caller)) as {
      plan: { policy: string; primary: { endpoint: string } };
    };
    expect(out.plan.policy).toBe('auto');
    expect(['emb-1', 'emb-2']).toContain(out.plan.primary.endpoint);
  });
});

describe('chat n > 1', () => {
  const completion = (n: number) => ({
    body: {
      id: 'c',
      object: 'chat.completion',
      choices: Array.from({ length: n }, (_, index) => ({
        index,
        message: { role: 'assistant', content: 'x' },
      })),
    },
  });

  it('goes only to the supports_n endpoint, with n in the body', async () => {
    const { svc, calls } = service(() => completion(2));
    const out = await svc.chat(
      { model: 'chat-m', messages: [{ role: 'user', content: 'x' }], n: 2 },
      {},
      caller,
    );
    expect(out.headers['x-switchyard-endpoint']).toBe('vllm');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[1]).toMatchObject({ kind: 'chat', body: { n: 2 } });
  });
});
