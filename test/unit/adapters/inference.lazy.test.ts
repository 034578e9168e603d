// LazyInferenceClient: the client is built on the first call, once for concurrent first calls,
// again after a failed load; calls and streams go to the client it built (a client without its
// own stream answers streams through the core's conversion).
import { LazyInferenceClient } from '@switchyard/adapters';
import type {
  InferenceCall,
  InferenceChunk,
  InferenceClient,
  InferenceResult,
  PlanTarget,
} from '@switchyard/core';
import { describe, expect, it } from 'vitest';

const target = {
  endpoint: 'e1',
  kind: 'sagemaker',
  target: 'e1',
  upstream_model: 'm',
} as unknown as PlanTarget;
const call = { kind: 'chat', body: { messages: [] } } as unknown as InferenceCall;
const result: InferenceResult = {
  body: {
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'length' }],
  },
  usage: { prompt_tokens: 3, completion_tokens: 1 },
};

async function collect(chunks: AsyncIterable<InferenceChunk>): Promise<InferenceChunk[]> {
  const out: InferenceChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

describe('LazyInferenceClient', () => {
  it('loads nothing until the first call, then once for concurrent first calls', async () => {
    let loads = 0;
    const invoked: string[] = [];
    const lazy = new LazyInferenceClient(async () => {
      loads++;
      const client: InferenceClient = {
        invoke: async (t) => {
          invoked.push(t.endpoint);
          return result;
        },
      };
      return client;
    });
    expect(loads).toBe(0);
    const signal = new AbortController().signal;
    const answers = await Promise.all([1, 2, 3].map(() => lazy.invoke(target, call, signal)));
    expect(loads).toBe(1);
    expect(answers).toEqual([result, result, result]);
    expect(invoked).toEqual(['e1', 'e1', 'e1']);
    await lazy.invoke(target, call, signal);
    expect(loads).toBe(1);
  });

  it('a failed load fails the calls waiting on it, and the next call loads again', async () => {
    let loads = 0;
    const lazy = new LazyInferenceClient(async () => {
      loads++;
      if (loads === 1) throw new Error('chunk missing');
      return { invoke: async () => result };
    });
    const signal = new AbortController().signal;
    const first = await Promise.allSettled([
      lazy.invoke(target, call, signal),
      lazy.invoke(target, call, signal),
    ]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(loads).toBe(1);
    await expect(lazy.invoke(target, call, signal)).resolves.toEqual(result);
    expect(loads).toBe(2);
  });

  it("streams through the built client's own stream", async () => {
    const chunks: InferenceChunk[] = [
      { text: 'a' },
      { text: 'b', finish_reason: 'stop' },
    ] as InferenceChunk[];
    const lazy = new LazyInferenceClient(async () => ({
      invoke: async () => result,
      stream: async function* () {
        yield* chunks;
      },
    }));
    expect(await collect(lazy.stream(target, call, new AbortController().signal))).toEqual(chunks);
  });

  it('streams a client without a stream through the core conversion of its answer', async () => {
    const lazy = new LazyInferenceClient(async () => ({ invoke: async () => result }));
    expect(await collect(lazy.stream(target, call, new AbortController().signal))).toEqual([
      { text: 'hello', finish_reason: 'length' },
      { usage: { prompt_tokens: 3, completion_tokens: 1 } },
    ]);
  });
});
