import { OpenAiHttpInferenceClient } from '@switchyard/adapters';
import type { ChatCompletionResponse, InferenceCall } from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type SimEndpoints, startSimEndpoints } from '../../../infra/local/sim-endpoints.server.ts';
import {
  closedPortUrl,
  expectUnserialisableRefused,
  failure,
  neverAborted,
  simConfig,
  startAdHocServer,
  targetFor,
} from './sim-fixtures.ts';

let sim: SimEndpoints;
const client = new OpenAiHttpInferenceClient();

const chat = (content: string): InferenceCall => ({
  kind: 'chat',
  body: { model: 'auto', messages: [{ role: 'user', content }], max_tokens: 50 },
});

beforeAll(async () => {
  sim = await startSimEndpoints({
    endpoints: [
      simConfig('gpu-a', 'openai-http'),
      simConfig('gpu-embed', 'openai-http', { model: 'embed-small', upstream_model: 'embed-small' }),
    ],
  });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  for (const e of sim.list()) {
    sim.setFault(e.id, 'ok');
    sim.setProfile(e.id, { latency_ms: 1, capacity: undefined });
  }
});

describe('OpenAiHttpInferenceClient', () => {
  it("turns a body it cannot serialise into the caller's InvalidRequestError before sending anything", async () => {
    await expectUnserialisableRefused(client, sim, 'gpu-a');
  });

  it('posts the chat body to {target}/chat/completions with model = upstream model', async () => {
    const result = await client.invoke(targetFor(sim, 'gpu-a'), chat('hello'), neverAborted());
    const body = result.body as ChatCompletionResponse;
    expect(body).toMatchObject({ object: 'chat.completion', model: 'meta-llama/Meta-Llama-3-8B-Instruct' });
    expect(body.choices[0]?.message.content).toBe('[gpu-a] echo: hello');
    expect(result.usage).toEqual({
      prompt_tokens: body.usage?.prompt_tokens,
      completion_tokens: body.usage?.completion_tokens,
    });
  });

  it('sends embedding calls to /embeddings and other tasks to /invocations', async () => {
    const target = targetFor(sim, 'gpu-embed');
    const embedding = await client.invoke(
      target,
      { kind: 'invocation', task: 'embedding', payload: ['a', 'b'] },
      neverAborted(),
    );
    expect(embedding.body).toMatchObject({
      object: 'list',
      data: [{ index: 0 }, { index: 1 }],
      model: 'embed-small',
    });
    expect(embedding.usage).toEqual({ prompt_tokens: 2, completion_tokens: 0 });
    const sentiment = await client.invoke(
      target,
      { kind: 'invocation', task: 'sentiment', payload: { text: 'terrible, awful' } },
      neverAborted(),
    );
    expect(sentiment.body).toEqual({ label: 'negative', score: expect.any(Number), served_by: 'gpu-embed' });
    expect(sentiment.usage).toBeUndefined();
  });

  it('sends Authorization from api_key_ref, and fails fast when the key is missing', async () => {
    const seen: Array<string | null> = [];
    const spying = new OpenAiHttpInferenceClient({
      fetch: (input, init) => {
        seen.push(new Headers(init?.headers).get('authorization'));
        return fetch(input, init);
      },
      apiKeys: (ref) => (ref === 'GPU_A_KEY' ? 'secret-1' : undefined),
    });
    await spying.invoke(targetFor(sim, 'gpu-a', { api_key_ref: 'GPU_A_KEY' }), chat('x'), neverAborted());
    await spying.invoke(targetFor(sim, 'gpu-a'), chat('x'), neverAborted());
    expect(seen).toEqual(['Bearer secret-1', null]);
    const missing = await failure(
      spying.invoke(targetFor(sim, 'gpu-a', { api_key_ref: 'OTHER' }), chat('x'), neverAborted()),
    );
    expect(missing).toMatchObject({ failure: 'server', message: 'gpu-a: no API key found for "OTHER"' });
    expect(seen).toHaveLength(2);
  });

  it('maps a reset connection (fault "down") to connection', async () => {
    sim.setFault('gpu-a', 'down');
    expect(await failure(client.invoke(targetFor(sim, 'gpu-a'), chat('x'), neverAborted()))).toMatchObject({
      failure: 'connection',
      retryable: true,
    });
  });

  it('maps HTTP 500 (fault "error") to server with the upstream message', async () => {
    sim.setFault('gpu-a', 'error');
    const err = await failure(client.invoke(targetFor(sim, 'gpu-a'), chat('x'), neverAborted()));
    expect(err).toMatchObject({ failure: 'server', upstreamStatus: 500 });
    expect(err.message).toBe('gpu-a: HTTP 500: [gpu-a] simulated model server error');
  });

  it('maps HTTP 400 to rejected and a wrong model name (404) to server', async () => {
    const bad = await failure(
      client.invoke(
        targetFor(sim, 'gpu-a'),
        { kind: 'chat', body: { model: 'm', messages: [] } },
        neverAborted(),
      ),
    );
    expect(bad).toMatchObject({ failure: 'rejected', retryable: false, upstreamStatus: 400 });
    const wrongModel = await failure(
      client.invoke(targetFor(sim, 'gpu-a', { upstream_model: 'llama-2' }), chat('x'), neverAborted()),
    );
    expect(wrongModel).toMatchObject({ failure: 'server', upstreamStatus: 404, retryable: true });
    expect(wrongModel.message).toBe('gpu-a: HTTP 404: The model `llama-2` does not exist.');
  });

  it('maps 429 beyond capacity to throttled, and an aborted attempt to timeout', async () => {
    sim.setProfile('gpu-a', { capacity: 1, latency_ms: 60_000 });
    const controller = new AbortController();
    const held = failure(client.invoke(targetFor(sim, 'gpu-a'), chat('first'), controller.signal));
    await vi.waitFor(() => expect(sim.stats('gpu-a').inflight).toBe(1));
    expect(
      await failure(client.invoke(targetFor(sim, 'gpu-a'), chat('second'), neverAborted())),
    ).toMatchObject({
      failure: 'throttled',
      upstreamStatus: 429,
    });
    controller.abort();
    expect(await held).toMatchObject({ failure: 'timeout', status: 504 });
    await vi.waitFor(() => expect(sim.stats('gpu-a')).toMatchObject({ inflight: 0, aborted: 1 }));
  });

  it('maps a refused connection to connection', async () => {
    const target = targetFor(sim, 'gpu-a', { target: `${await closedPortUrl()}/v1` });
    const err = await failure(client.invoke(target, chat('x'), neverAborted()));
    expect(err).toMatchObject({ failure: 'connection' });
    expect(err.message).toBe('gpu-a: connection failed (ECONNREFUSED)');
  });

  it('maps a non-JSON or non-chat 200 answer to invalid-response', async () => {
    const garbage = await startAdHocServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.url?.startsWith('/text') ? 'hello' : '{"result":"not a completion"}');
    });
    try {
      for (const prefix of ['/text/v1', '/json/v1']) {
        const target = targetFor(sim, 'gpu-a', { target: `${garbage.url}${prefix}` });
        expect(await failure(client.invoke(target, chat('x'), neverAborted()))).toMatchObject({
          failure: 'invalid-response',
          upstreamStatus: prefix === '/text/v1' ? 200 : undefined,
        });
      }
    } finally {
      await garbage.stop();
    }
  });
});
