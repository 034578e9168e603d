// Streaming of both endpoint kinds against the simulated servers with the real clients (fetch,
// and the SageMaker runtime SDK's InvokeEndpointWithResponseStream): chat and completion chunks,
// TGI's token stream, usage, the faults before and after the first byte, an early stop that
// aborts the upstream call, and a server that answers a streaming request with plain JSON.
import {
  createSageMakerRuntimeClient,
  InferenceClientByKind,
  OpenAiHttpInferenceClient,
  SageMakerInferenceClient,
} from '@switchyard/adapters';
import type { InferenceCall, InferenceChunk, InferenceClient, PlanTarget } from '@switchyard/core';
import { UpstreamError } from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimEndpoints, startSimEndpoints } from '../../../infra/local/sim-endpoints.server.ts';
import { eventually } from '../../support/eventually.ts';
import { LOCAL_AWS } from '../../support/local-aws.ts';
import { neverAborted, simConfig, startAdHocServer, targetFor } from './sim-fixtures.ts';

let sim: SimEndpoints;
const http = new OpenAiHttpInferenceClient();
let sagemaker: SageMakerInferenceClient;

const chat = (content: string): InferenceCall => ({
  kind: 'chat',
  body: { model: 'auto', messages: [{ role: 'user', content }] },
});
const completion = (prompt: string | string[]): InferenceCall => ({
  kind: 'completion',
  body: { model: 'auto', prompt },
});

async function collect(client: InferenceClient, target: PlanTarget, call: InferenceCall) {
  const chunks: InferenceChunk[] = [];
  let error: unknown;
  try {
    for await (const c of client.stream?.(target, call, neverAborted()) ?? []) chunks.push(c);
  } catch (err) {
    error = err;
  }
  const text = chunks.map((c) => c.text ?? '').join('');
  return { chunks, text, error: error as UpstreamError | undefined };
}

beforeAll(async () => {
  sim = await startSimEndpoints({
    endpoints: [
      simConfig('oa', 'openai-http'),
      simConfig('sm', 'sagemaker'),
      simConfig('sm-tgi', 'sagemaker', { chat_format: 'tgi' }),
    ],
  });
  sagemaker = new SageMakerInferenceClient({
    client: createSageMakerRuntimeClient({ ...LOCAL_AWS, endpoint: sim.url }),
  });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  for (const e of sim.list()) {
    sim.setFault(e.id, 'ok');
    sim.setProfile(e.id, { latency_ms: 1, ttft_ms: 1, tokens_per_s: 5000 });
  }
});

describe.each([
  ['openai-http', 'oa'],
  ['sagemaker', 'sm'],
] as const)('%s streams', (_kind, id) => {
  const client = () => (id === 'oa' ? http : sagemaker);

  it('a chat answer word by word, then the finish and the usage it asked for', async () => {
    const { chunks, text, error } = await collect(client(), targetFor(sim, id), chat('hello there'));
    expect(error).toBeUndefined();
    expect(text).toBe(`[${id}] echo: hello there`);
    expect(chunks.filter((c) => c.text !== undefined).map((c) => c.text)).toEqual([
      `[${id}] `,
      'echo: ',
      'hello ',
      'there',
    ]);
    expect(chunks.at(-2)).toEqual({ finish_reason: 'stop' });
    // 3 priming + 4 per message + ceil(11 / 4); completion ceil(len / 4).
    expect(chunks.at(-1)).toEqual({
      usage: { prompt_tokens: 10, completion_tokens: Math.ceil(`[${id}] echo: hello there`.length / 4) },
    });
    expect(sim.stats(id)).toMatchObject({ requests: 1, streams: 1, served: 1, errors: 0 });
  });

  it('a completion, each prompt as its own choice', async () => {
    const { chunks, text } = await collect(client(), targetFor(sim, id), completion(['one', 'two']));
    expect(text).toBe(`[${id}] completes: one[${id}] completes: two`);
    expect(chunks.filter((c) => c.finish_reason).map((c) => c.index ?? 0)).toEqual([0, 1]);
    expect(chunks.find((c) => c.text === 'two')).toEqual({ index: 1, text: 'two' });
  });

  it('`cut`: the chunks before the drop, then a connection failure', async () => {
    sim.setFault(id, 'cut');
    const before = sim.stats(id);
    const { chunks, text, error } = await collect(client(), targetFor(sim, id), chat('a long story'));
    // The role chunk and two words went out (SIM_CUT_AFTER_CHUNKS = 3 frames).
    expect(text).toBe(`[${id}] echo: `);
    expect(chunks).toHaveLength(2);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error?.failure).toBe('connection');
    const after = sim.stats(id);
    expect([
      after.requests - before.requests,
      after.served - before.served,
      after.errors - before.errors,
    ]).toEqual([1, 0, 1]);
  });

  it('`error` fails before the first chunk with the upstream 500', async () => {
    sim.setFault(id, 'error');
    const { chunks, error } = await collect(client(), targetFor(sim, id), chat('x'));
    expect(chunks).toEqual([]);
    expect(error?.failure).toBe('server');
    expect(error?.upstreamStatus).toBe(500);
  });

  it('`down` fails before the first chunk', async () => {
    sim.setFault(id, 'down');
    const { chunks, error } = await collect(client(), targetFor(sim, id), chat('x'));
    expect(chunks).toEqual([]);
    expect(error?.failure).toBe(id === 'oa' ? 'connection' : 'server');
  });

  it('stopping early aborts the upstream call (the server sees the client go away)', async () => {
    sim.setProfile(id, { tokens_per_s: 20 });
    const before = sim.stats(id);
    const stream = client().stream?.(targetFor(sim, id), chat('one two three four five six'), neverAborted());
    if (!stream) throw new Error('no stream');
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toEqual({ text: `[${id}] ` });
    await it.return?.(undefined);
    await eventually(() => sim.stats(id).aborted === before.aborted + 1 || undefined, {
      what: 'the sim to see the abort',
    });
    const after = sim.stats(id);
    expect([after.served - before.served, after.inflight]).toEqual([0, 0]);
  });

  it('an aborted signal fails the stream as a timeout', async () => {
    sim.setProfile(id, { ttft_ms: 5_000 });
    const controller = new AbortController();
    const stream = client().stream?.(targetFor(sim, id), chat('x'), controller.signal);
    if (!stream) throw new Error('no stream');
    const next = stream[Symbol.asyncIterator]().next();
    controller.abort(new UpstreamError('timeout', 'attempt timed out'));
    await expect(next).rejects.toMatchObject({ failure: 'timeout' });
  });
});

describe('SageMaker TGI token stream', () => {
  it('maps `{token: {text}}` events and the final details to chunks', async () => {
    const { chunks, text } = await collect(sagemaker, targetFor(sim, 'sm-tgi'), chat('hi you'));
    expect(text).toBe('[sm-tgi] echo: hi you');
    expect(chunks.at(-1)).toEqual({ text: 'you', finish_reason: 'stop' });
    expect(chunks.some((c) => c.usage)).toBe(false);
  });
});

describe('OpenAI-compatible servers that do not stream', () => {
  it('a JSON answer to a streaming request is converted into chunks', async () => {
    const server = await startAdHocServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'whole answer' }, finish_reason: 'length' },
          ],
          usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
        }),
      );
    });
    try {
      const target = { ...targetFor(sim, 'oa'), target: `${server.url}/v1` };
      const { chunks } = await collect(http, target, chat('x'));
      expect(chunks).toEqual([
        { text: 'whole answer', finish_reason: 'length' },
        { usage: { prompt_tokens: 4, completion_tokens: 2 } },
      ]);
    } finally {
      await server.stop();
    }
  });

  it('an SSE stream that ends without [DONE] or a finish reason was cut', async () => {
    const server = await startAdHocServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"choices":[{"index":0,"delta":{"content":"par"}}]}\n\n');
    });
    try {
      const target = { ...targetFor(sim, 'oa'), target: `${server.url}/v1` };
      const { chunks, error } = await collect(http, target, chat('x'));
      expect(chunks).toEqual([{ text: 'par' }]);
      expect(error?.failure).toBe('connection');
      expect(error?.message).toBe('oa: the stream ended before the answer finished');
    } finally {
      await server.stop();
    }
  });
});

describe('InferenceClientByKind', () => {
  it("converts the answer of a kind's client that has no stream", async () => {
    const plain: InferenceClient = {
      invoke: async () => ({
        body: { choices: [{ index: 0, message: { content: 'hi' }, finish_reason: 'stop' }] },
      }),
    };
    const byKind = new InferenceClientByKind({ sagemaker: plain, 'openai-http': http });
    const { chunks } = await collect(byKind, targetFor(sim, 'sm'), chat('x'));
    expect(chunks).toEqual([{ text: 'hi', finish_reason: 'stop' }]);
  });
});
