import {
  createSageMakerRuntimeClient,
  SageMakerInferenceClient,
  sageMakerRequestBody,
} from '@switchyard/adapters';
import type { ChatCompletionResponse, InferenceCall } from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type SimEndpoints, startSimEndpoints } from '../../../infra/local/sim-endpoints.server.ts';
import { LOCAL_AWS } from '../../support/local-aws.ts';
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
let client: SageMakerInferenceClient;

const chat = (content: string, extra: Record<string, unknown> = {}): InferenceCall => ({
  kind: 'chat',
  body: { model: 'auto', messages: [{ role: 'user', content }], ...extra },
});

const clientFor = (endpoint: string) =>
  new SageMakerInferenceClient({ client: createSageMakerRuntimeClient({ ...LOCAL_AWS, endpoint }) });

beforeAll(async () => {
  sim = await startSimEndpoints({
    endpoints: [
      simConfig('sm-llama', 'sagemaker'),
      simConfig('sm-tgi', 'sagemaker', { chat_format: 'tgi' }),
      simConfig('sm-sentiment', 'sagemaker', { model: 'sentiment-bert', upstream_model: 'sentiment-bert' }),
    ],
  });
  client = clientFor(sim.url);
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  for (const e of sim.list()) {
    sim.setFault(e.id, 'ok');
    sim.setProfile(e.id, { latency_ms: 1, capacity: undefined, error_rate: 0 });
  }
});

describe('SageMakerInferenceClient', () => {
  it("turns a body it cannot serialise into the caller's InvalidRequestError before sending anything", async () => {
    await expectUnserialisableRefused(client, sim, 'sm-llama');
  });

  it('sends the chat body with the upstream model and returns a chat.completion with usage', async () => {
    const target = targetFor(sim, 'sm-llama');
    const result = await client.invoke(target, chat('hello there'), neverAborted());
    const body = result.body as ChatCompletionResponse;
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]?.message.content).toBe('[sm-llama] echo: hello there');
    expect(result.usage).toEqual({
      prompt_tokens: body.usage?.prompt_tokens,
      completion_tokens: body.usage?.completion_tokens,
    });
    expect(sageMakerRequestBody({ ...target, upstream_model: 'served-name' }, chat('x'))).toMatchObject({
      model: 'served-name',
    });
  });

  it('wraps a TGI-style [{generated_text}] answer into a chat.completion', async () => {
    const result = await client.invoke(targetFor(sim, 'sm-tgi'), chat('hi'), neverAborted());
    expect(result.body).toMatchObject({
      object: 'chat.completion',
      model: 'llama-3-8b',
      choices: [
        { index: 0, message: { role: 'assistant', content: '[sm-tgi] echo: hi' }, finish_reason: 'stop' },
      ],
    });
  });

  it('sends task invocations as {task, inputs} and returns the JSON answer', async () => {
    const target = targetFor(sim, 'sm-sentiment');
    const good = await client.invoke(
      target,
      { kind: 'invocation', task: 'sentiment', payload: 'I love it, great job' },
      neverAborted(),
    );
    expect(good.body).toEqual({ label: 'positive', score: expect.any(Number), served_by: 'sm-sentiment' });
    const embedding = await client.invoke(
      target,
      { kind: 'invocation', task: 'embedding', payload: 'abc' },
      neverAborted(),
    );
    expect(embedding.usage).toEqual({ prompt_tokens: 1, completion_tokens: 0 });
  });

  it('maps a container 4xx (ModelError) to rejected, which is not retried', async () => {
    const err = await failure(
      client.invoke(
        targetFor(sim, 'sm-llama'),
        { kind: 'chat', body: { model: 'x', messages: [] } },
        neverAborted(),
      ),
    );
    expect(err).toMatchObject({
      name: 'UpstreamError',
      failure: 'rejected',
      retryable: false,
      upstreamStatus: 400,
      status: 400,
    });
    expect(err.message).toMatch(
      /^sm-llama: the model container answered 400: messages must be a non-empty array/,
    );
  });

  it('maps a container 5xx (fault "error") to server', async () => {
    sim.setFault('sm-llama', 'error');
    const err = await failure(client.invoke(targetFor(sim, 'sm-llama'), chat('x'), neverAborted()));
    expect(err).toMatchObject({ failure: 'server', retryable: true, upstreamStatus: 500 });
  });

  it('maps ServiceUnavailable (fault "down") to server', async () => {
    sim.setFault('sm-llama', 'down');
    const err = await failure(client.invoke(targetFor(sim, 'sm-llama'), chat('x'), neverAborted()));
    expect(err).toMatchObject({ failure: 'server', upstreamStatus: 503 });
    expect(err.message).toMatch(/^sm-llama: ServiceUnavailable: /);
  });

  it('maps an unknown endpoint name (ValidationError) to server so the router moves on', async () => {
    const err = await failure(
      client.invoke(targetFor(sim, 'sm-llama', { target: 'no-such-endpoint' }), chat('x'), neverAborted()),
    );
    expect(err).toMatchObject({ failure: 'server', upstreamStatus: 400 });
    expect(err.message).toMatch(/endpoint not found: Endpoint no-such-endpoint of account \d+ not found/);
  });

  it('maps throttling beyond capacity to throttled, and an aborted attempt to timeout', async () => {
    sim.setProfile('sm-llama', { capacity: 1, latency_ms: 60_000 });
    const controller = new AbortController();
    const held = failure(client.invoke(targetFor(sim, 'sm-llama'), chat('first'), controller.signal));
    await vi.waitFor(() => expect(sim.stats('sm-llama').inflight).toBe(1));

    const throttled = await failure(
      client.invoke(targetFor(sim, 'sm-llama'), chat('second'), neverAborted()),
    );
    expect(throttled).toMatchObject({ failure: 'throttled', upstreamStatus: 429, retryable: true });

    controller.abort();
    expect(await held).toMatchObject({ failure: 'timeout', status: 504, retryable: true });
    await vi.waitFor(() => expect(sim.stats('sm-llama').inflight).toBe(0));
  });

  it('maps a refused connection to connection', async () => {
    const err = await failure(
      clientFor(await closedPortUrl()).invoke(targetFor(sim, 'sm-llama'), chat('x'), neverAborted()),
    );
    expect(err).toMatchObject({ failure: 'connection', retryable: true });
  });

  it('maps unparsable and unexpected answers to invalid-response', async () => {
    const garbage = await startAdHocServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url?.includes('not-json') ? '<html>oops' : JSON.stringify({ predictions: [1, 2] }));
    });
    try {
      const broken = clientFor(garbage.url);
      const notJson = await failure(
        broken.invoke(targetFor(sim, 'sm-llama', { target: 'not-json' }), chat('x'), neverAborted()),
      );
      expect(notJson).toMatchObject({ failure: 'invalid-response' });
      const notChat = await failure(
        broken.invoke(targetFor(sim, 'sm-llama', { target: 'shape' }), chat('x'), neverAborted()),
      );
      expect(notChat).toMatchObject({ failure: 'invalid-response' });
      const task = await broken.invoke(
        targetFor(sim, 'sm-llama', { target: 'shape' }),
        { kind: 'invocation', task: 'x', payload: 1 },
        neverAborted(),
      );
      expect(task.body).toEqual({ predictions: [1, 2] });
    } finally {
      await garbage.stop();
    }
  });
});
