// Streaming end to end with the official `openai` client, on one local stack: chat streams arrive
// in several chunks with the x-switchyard-* headers and usage; an endpoint `down` before the first
// byte is invisible (another serves the stream); a stream `cut` after its first chunks ends with an
// error the client sees (never a silent success), and with `stream_resume` the next endpoint
// continues it into one complete answer whose last chunk says who resumed it; the `.stream()`
// helper works; legacy completions stream, on both endpoint kinds.
import type OpenAI from 'openai';
import { APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import { openAiClient, registryFile, setFault } from '../support/local-stack.helpers.ts';

// Cost-first with three prices: the plan is always cheap (gpu-a), then mid (gpu-b), then dear (sm-c).
const REGISTRY = `
models:
  - { id: cheap, version: v1, tasks: [chat, completion], context_window: 4096, regions: [us-east-1], cost: { input_per_1k: 0.0001, output_per_1k: 0.0001 } }
  - { id: mid, version: v1, tasks: [chat, completion], context_window: 4096, regions: [us-east-1], cost: { input_per_1k: 0.001, output_per_1k: 0.001 } }
  - { id: dear, version: v1, tasks: [chat, completion], context_window: 4096, regions: [us-east-1], cost: { input_per_1k: 0.01, output_per_1k: 0.01 } }
endpoints:
  - { id: gpu-a, model: cheap, version: v1, kind: openai-http, target: "http://a.internal/v1", region: us-east-1 }
  - { id: gpu-b, model: mid, version: v1, kind: openai-http, target: "http://b.internal/v1", region: us-east-1 }
  - { id: sm-c, model: dear, version: v1, kind: sagemaker, target: switchyard-sm-c, region: us-east-1 }
policies:
  - name: stream
    match: { model: stream }
    strategy: cost-first
    fallback: { count: 2, mode: cross-model }
  - name: resume
    match: { model: resume }
    strategy: cost-first
    fallback: { count: 2, mode: cross-model }
    stream_resume: true
  - name: sagemaker
    match: { model: sagemaker }
    models: [dear]
    fallback: { count: 0 }
local:
  defaults: { latency_ms: 1, jitter_ms: 0, ttft_ms: 5, tokens_per_s: 1000 }
`;

let stack: LocalStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    usagePlan: false,
    logLevel: 'SILENT',
  });
  client = openAiClient(stack);
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  for (const id of ['gpu-a', 'gpu-b', 'sm-c']) await setFault(stack, id, 'ok');
});

const messages = [{ role: 'user' as const, content: 'tell me a story' }];

async function read(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    for await (const c of stream) chunks.push(c);
  } catch (err) {
    error = err;
  }
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  return { chunks, text, error };
}

describe('streamed chat completions', () => {
  it('arrive in several chunks, with the headers of the serving endpoint and the usage asked for', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'stream', messages, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('x-switchyard-endpoint')).toBe('gpu-a');
    expect(response.headers.get('x-switchyard-model')).toBe('cheap@v1');
    const { chunks, text, error } = await read(stream);
    expect(error).toBeUndefined();
    expect(text).toBe('[gpu-a] echo: tell me a story');
    // role, 6 words, finish, usage.
    expect(chunks).toHaveLength(9);
    expect(chunks[0]).toMatchObject({
      object: 'chat.completion.chunk',
      model: 'cheap',
      choices: [{ delta: { role: 'assistant' } }],
    });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    // 3 + 4 + ceil(15 / 4) prompt tokens; ceil(29 / 4) completion tokens: the upstream's count.
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 11, completion_tokens: 8, total_tokens: 19 });
  });

  it('with the serving endpoint down, the next stream is served by another endpoint without an error', async () => {
    await setFault(stack, 'gpu-a', 'down');
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'stream', messages, stream: true })
      .withResponse();
    expect(response.headers.get('x-switchyard-endpoint')).toBe('gpu-b');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    const { text, error } = await read(stream);
    expect(error).toBeUndefined();
    expect(text).toBe('[gpu-b] echo: tell me a story');
  });

  it('cut after its first chunks: the client gets an error, not a silent end', async () => {
    await setFault(stack, 'gpu-a', 'cut');
    const before = stack.sim.stats('gpu-b').requests;
    const stream = await client.chat.completions.create({ model: 'stream', messages, stream: true });
    const { text, error } = await read(stream);
    expect(text).toBe('[gpu-a] echo: ');
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).error).toEqual({
      message: 'The upstream stream failed after 2 chunks (connection); the answer is incomplete.',
      type: 'upstream_error',
      code: 'stream_interrupted',
      param: null,
    });
    expect(stack.sim.stats('gpu-b').requests).toBe(before);
  });

  it('cut, with stream_resume on: one complete stream, continued by the next endpoint, which the last chunk names', async () => {
    await setFault(stack, 'gpu-a', 'cut');
    const stream = await client.chat.completions.create({ model: 'resume', messages, stream: true });
    const { chunks, text, error } = await read(stream);
    expect(error).toBeUndefined();
    expect(text).toBe('[gpu-a] echo: tell me a story');
    expect(chunks.filter((c) => c.choices[0]?.delta.role === 'assistant')).toHaveLength(1);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect((chunks.at(-1) as unknown as { x_switchyard: unknown }).x_switchyard).toEqual({
      resumed: true,
      resumed_by: [{ endpoint: 'gpu-b', model: 'mid', version: 'v1', after_chars: 14 }],
    });
  });

  it('a client that disconnects mid-stream aborts the upstream generation', async () => {
    stack.sim.setProfile('gpu-a', { tokens_per_s: 10 });
    try {
      const before = stack.sim.stats('gpu-a');
      const controller = new AbortController();
      const stream = await client.chat.completions.create(
        { model: 'stream', messages, stream: true },
        { signal: controller.signal },
      );
      const it = stream[Symbol.asyncIterator]();
      expect((await it.next()).value?.choices[0]?.delta.role).toBe('assistant');
      controller.abort();
      await eventually(() => stack.sim.stats('gpu-a').aborted === before.aborted + 1 || undefined, {
        what: 'the endpoint to see its client go away',
      });
      const after = stack.sim.stats('gpu-a');
      expect([after.served - before.served, after.inflight]).toEqual([0, 0]);
    } finally {
      stack.sim.setProfile('gpu-a', { tokens_per_s: 1000 });
    }
  });

  it('the .stream() helper assembles the final completion', async () => {
    const runner = client.chat.completions.stream({ model: 'stream', messages });
    const deltas: string[] = [];
    runner.on('content', (delta) => deltas.push(delta));
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe('[gpu-a] echo: tell me a story');
    expect(deltas.join('')).toBe('[gpu-a] echo: tell me a story');
    expect(deltas.length).toBeGreaterThan(3);
  });

  it('a SageMaker endpoint streams through InvokeEndpointWithResponseStream', async () => {
    const stream = await client.chat.completions.create({ model: 'sagemaker', messages, stream: true });
    const { text, chunks } = await read(stream);
    expect(text).toBe('[sm-c] echo: tell me a story');
    expect(chunks.length).toBeGreaterThan(3);
  });
});

describe('legacy completions', () => {
  it('stream text_completion chunks, and answer whole without stream', async () => {
    const stream = await client.completions.create({
      model: 'stream',
      prompt: 'Once upon a time',
      stream: true,
    });
    const pieces: string[] = [];
    let last: OpenAI.Completions.Completion | undefined;
    for await (const c of stream) {
      pieces.push(c.choices[0]?.text ?? '');
      last = c;
    }
    expect(pieces.join('')).toBe('[gpu-a] completes: Once upon a time');
    expect(pieces.length).toBeGreaterThan(3);
    expect(last).toMatchObject({
      object: 'text_completion',
      model: 'cheap',
      choices: [{ finish_reason: 'stop' }],
    });
    const whole = await client.completions.create({
      model: 'sagemaker',
      prompt: 'Once upon',
      max_tokens: 50,
    });
    expect(whole).toMatchObject({
      object: 'text_completion',
      model: 'dear',
      choices: [{ index: 0, text: '[sm-c] completes: Once upon', finish_reason: 'stop' }],
    });
  });
});
