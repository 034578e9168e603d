import { InvokeEndpointWithResponseStreamCommand } from '@aws-sdk/client-sagemaker-runtime';
import { createSageMakerRuntimeClient } from '@switchyard/adapters';
import type { ChatCompletionResponse } from '@switchyard/core';
import { estimatePromptTokens } from '@switchyard/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type SimEndpointConfig,
  type SimEndpoints,
  startSimEndpoints,
} from '../../infra/local/sim-endpoints.server.ts';
import { SIM_EMBEDDING_DIM } from '../../infra/local/sim-responses.ts';
import { LOCAL_AWS } from '../support/local-aws.ts';

const config = (
  id: string,
  kind: SimEndpointConfig['kind'],
  extra: Partial<SimEndpointConfig> = {},
): SimEndpointConfig => ({
  id,
  kind,
  target: kind === 'sagemaker' ? `switchyard-${id}` : 'ignored',
  model: 'llama-3-8b',
  upstream_model: 'llama-up',
  latency_ms: 0,
  jitter_ms: 0,
  error_rate: 0,
  ...extra,
});

let sim: SimEndpoints | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(endpoints: SimEndpointConfig[], random?: () => number): Promise<SimEndpoints> {
  sim = await startSimEndpoints({ endpoints, ...(random ? { random } : {}) });
  return sim;
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const chatBody = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'llama-up',
  messages: [
    { role: 'system' as const, content: 'be brief' },
    { role: 'user' as const, content },
  ],
  ...extra,
});
const baseUrl = (s: SimEndpoints, id: string) => s.list().find((e) => e.id === id)?.url ?? '';
const invokeUrl = (s: SimEndpoints, name: string) => `${s.url}/endpoints/${name}/invocations`;

describe('simulated endpoints', () => {
  it('lists endpoints with their fault mode and the URL to call', async () => {
    const s = await start([config('gpu-a', 'openai-http'), config('sm-a', 'sagemaker')]);
    expect(s.list()).toEqual([
      expect.objectContaining({ id: 'gpu-a', kind: 'openai-http', fault: 'ok', url: `${s.url}/gpu-a/v1` }),
      expect.objectContaining({
        id: 'sm-a',
        kind: 'sagemaker',
        fault: 'ok',
        url: `${s.url}/endpoints/switchyard-sm-a/invocations`,
      }),
    ]);
    s.setFault('sm-a', 'slow');
    expect(s.list()[1]?.fault).toBe('slow');
  });

  it('answers chat deterministically, naming the endpoint, with usage from the input length', async () => {
    const s = await start([config('gpu-a', 'openai-http'), config('gpu-b', 'openai-http')]);
    const ask = async (id: string) =>
      (await (
        await post(`${baseUrl(s, id)}/chat/completions`, chatBody('what is up?'))
      ).json()) as ChatCompletionResponse;
    const a1 = await ask('gpu-a');
    const a2 = await ask('gpu-a');
    const b = await ask('gpu-b');
    expect(a1).toMatchObject({
      object: 'chat.completion',
      model: 'llama-up',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: '[gpu-a] echo: what is up?' },
          finish_reason: 'stop',
        },
      ],
    });
    const prompt = estimatePromptTokens(chatBody('what is up?').messages);
    expect(a1.usage).toEqual({ prompt_tokens: prompt, completion_tokens: 7, total_tokens: prompt + 7 });
    expect(a2.choices).toEqual(a1.choices);
    expect(b.choices[0]?.message.content).toBe('[gpu-b] echo: what is up?');
  });

  it('cuts the answer to max_tokens and says so', async () => {
    const s = await start([config('gpu-a', 'openai-http')]);
    const res = (await (
      await post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('a long question', { max_tokens: 1 }))
    ).json()) as ChatCompletionResponse;
    expect(res.choices[0]).toMatchObject({ message: { content: '[gpu' }, finish_reason: 'length' });
    expect(res.usage?.completion_tokens).toBe(1);
  });

  it('labels sentiment with a keyword lexicon, picks mentioned classification labels, and can disagree', async () => {
    const s = await start([
      config('sm-a', 'sagemaker'),
      config('sm-contrarian', 'sagemaker', { disagree_rate: 1 }),
    ]);
    const label = async (name: string, inputs: unknown, task = 'sentiment') =>
      (await (await post(invokeUrl(s, name), { task, inputs })).json()) as {
        label: string;
        score: number;
        served_by: string;
      };
    expect(await label('switchyard-sm-a', 'I love this, it is great')).toEqual({
      label: 'positive',
      score: 0.8267,
      served_by: 'sm-a',
    });
    expect((await label('switchyard-sm-a', { text: 'awful and broken' })).label).toBe('negative');
    expect((await label('switchyard-sm-a', 'the sky is blue')).label).toBe('neutral');
    expect(
      (
        await label(
          'switchyard-sm-a',
          { text: 'about billing please', labels: ['shipping', 'billing'] },
          'classification',
        )
      ).label,
    ).toBe('billing');
    expect(await label('switchyard-sm-contrarian', 'I love this, it is great')).toEqual({
      label: 'negative',
      score: 0.51,
      served_by: 'sm-contrarian',
    });
  });

  it('returns fixed-dimension deterministic unit embeddings', async () => {
    const s = await start([config('gpu-e', 'openai-http', { upstream_model: 'embed' })]);
    const embed = async (input: unknown) =>
      (await (await post(`${baseUrl(s, 'gpu-e')}/embeddings`, { model: 'embed', input })).json()) as {
        data: Array<{ embedding: number[]; index: number }>;
      };
    const one = await embed(['hello', 'world']);
    const again = await embed('hello');
    expect(one.data).toHaveLength(2);
    expect(one.data[0]?.embedding).toHaveLength(SIM_EMBEDDING_DIM);
    expect(again.data[0]?.embedding).toEqual(one.data[0]?.embedding);
    expect(one.data[1]?.embedding).not.toEqual(one.data[0]?.embedding);
    expect(Math.hypot(...(one.data[0]?.embedding ?? []))).toBeCloseTo(1, 3);
  });

  it('serves OpenAI-compatible models, health and invocations routes per endpoint', async () => {
    const s = await start([config('gpu-a', 'openai-http')]);
    expect(await (await fetch(`${baseUrl(s, 'gpu-a')}/models`)).json()).toMatchObject({
      data: [{ id: 'llama-up', object: 'model' }],
    });
    expect((await fetch(`${s.url}/gpu-a/health`)).status).toBe(200);
    const summary = await (
      await post(`${baseUrl(s, 'gpu-a')}/invocations`, {
        model: 'llama-up',
        task: 'summarization',
        inputs: 'long text',
      })
    ).json();
    expect(summary).toEqual({
      task: 'summarization',
      output: '[gpu-a] summarization: long text',
      served_by: 'gpu-a',
    });
    expect((await fetch(`${s.url}/nobody/v1/models`)).status).toBe(404);
    expect(s.stats('gpu-a')).toMatchObject({ requests: 1, served: 1, probes: 2 });
  });

  it('rejects bad requests like a model server: 400 for bad bodies, 404 for another model', async () => {
    const s = await start([config('gpu-a', 'openai-http'), config('sm-a', 'sagemaker')]);
    const bad = await post(`${baseUrl(s, 'gpu-a')}/chat/completions`, { model: 'llama-up', messages: 'hi' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { message: 'messages must be a non-empty array' } });
    expect(
      (await post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('x', { model: 'gpt-4' }))).status,
    ).toBe(404);
    const modelError = await post(invokeUrl(s, 'switchyard-sm-a'), { nothing: true });
    expect(modelError.status).toBe(424);
    expect(modelError.headers.get('x-amzn-errortype')).toBe('ModelError');
    expect(await modelError.json()).toMatchObject({ OriginalStatusCode: 400 });
    const unknown = await post(invokeUrl(s, 'switchyard-nope'), {});
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('ValidationError');
    expect(s.stats('gpu-a')).toMatchObject({ requests: 2, errors: 2, served: 0 });
    // Nesting: a body 64 levels deep is served, 65 is refused (the body object is the first level).
    const nested = (n: number): unknown => (n === 0 ? 1 : [nested(n - 1)]);
    const url = `${baseUrl(s, 'gpu-a')}/chat/completions`;
    expect((await post(url, chatBody('x', { extra: nested(63) }))).status).toBe(200);
    const deep = await post(url, chatBody('x', { extra: nested(64) }));
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ error: { message: 'the body is nested too deep' } });
  });

  it('fault modes: down resets HTTP connections and makes SageMaker unavailable; error answers 500', async () => {
    const s = await start([config('gpu-a', 'openai-http'), config('sm-a', 'sagemaker')]);
    s.setFault('gpu-a', 'down');
    await expect(post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('x'))).rejects.toThrow(TypeError);
    await expect(fetch(`${s.url}/gpu-a/health`)).rejects.toThrow(TypeError);
    s.setFault('sm-a', 'down');
    const down = await post(invokeUrl(s, 'switchyard-sm-a'), chatBody('x'));
    expect(down.status).toBe(503);
    expect(down.headers.get('x-amzn-errortype')).toBe('ServiceUnavailable');

    s.setFault('gpu-a', 'error');
    expect((await post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('x'))).status).toBe(500);
    expect((await fetch(`${s.url}/gpu-a/health`)).status).toBe(503);
    s.setFault('sm-a', 'error');
    const error = await post(invokeUrl(s, 'switchyard-sm-a'), chatBody('x'));
    expect(error.status).toBe(424);
    expect(await error.json()).toMatchObject({ OriginalStatusCode: 500 });

    s.setFault('gpu-a', 'slow');
    s.setFault('sm-a', 'ok');
    expect((await post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('x'))).status).toBe(200);
    expect((await post(invokeUrl(s, 'switchyard-sm-a'), chatBody('x'))).status).toBe(200);
    expect(s.stats('gpu-a')).toMatchObject({ requests: 3, errors: 2, served: 1, inflight: 0 });
  });

  it('draws jitter then the error from the injected random source', async () => {
    const draws = [0.5, 0.1, 0.5, 0.9];
    const s = await start(
      [config('gpu-a', 'openai-http', { jitter_ms: 1, error_rate: 0.5 })],
      () => draws.shift() ?? 0.99,
    );
    expect((await post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('x'))).status).toBe(500);
    expect((await post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('x'))).status).toBe(200);
    expect(draws).toEqual([]);
  });

  it('answers 429 beyond capacity and counts aborted requests', async () => {
    const s = await start([
      config('gpu-a', 'openai-http', { capacity: 1, latency_ms: 60_000 }),
      config('sm-a', 'sagemaker', { capacity: 1, latency_ms: 60_000 }),
    ]);
    const controller = new AbortController();
    const held = [
      fetch(`${baseUrl(s, 'gpu-a')}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify(chatBody('x')),
        signal: controller.signal,
      }),
      fetch(invokeUrl(s, 'switchyard-sm-a'), {
        method: 'POST',
        body: JSON.stringify(chatBody('x')),
        signal: controller.signal,
      }),
    ].map((p) => p.catch((e: unknown) => e));
    await vi.waitFor(() => expect([s.stats('gpu-a').inflight, s.stats('sm-a').inflight]).toEqual([1, 1]));
    const throttled = await post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('y'));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    const smThrottled = await post(invokeUrl(s, 'switchyard-sm-a'), chatBody('y'));
    expect(smThrottled.status).toBe(429);
    expect(smThrottled.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    controller.abort();
    await Promise.all(held);
    await vi.waitFor(() =>
      expect(s.stats('gpu-a')).toEqual({
        requests: 2,
        served: 0,
        errors: 0,
        throttled: 1,
        aborted: 1,
        inflight: 0,
        streams: 0,
        probes: 0,
        prefix_hits: 0,
        prefix_misses: 0,
      }),
    );
  });

  it('hold keeps accepted requests in flight until released; a client leaving while held is aborted', async () => {
    const s = await start([config('gpu-a', 'openai-http', { capacity: 2 })]);
    const url = `${baseUrl(s, 'gpu-a')}/chat/completions`;
    const release = s.hold('gpu-a');
    const controller = new AbortController();
    const leaving = fetch(url, {
      method: 'POST',
      body: JSON.stringify(chatBody('gone')),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    const staying = post(url, chatBody('stay'));
    await vi.waitFor(() => expect(s.stats('gpu-a').inflight).toBe(2));
    // Held requests still count against capacity.
    expect((await post(url, chatBody('third'))).status).toBe(429);
    controller.abort();
    await leaving;
    await vi.waitFor(() => expect(s.stats('gpu-a')).toMatchObject({ aborted: 1, inflight: 1, served: 0 }));
    release();
    expect((await staying).status).toBe(200);
    expect(s.stats('gpu-a')).toMatchObject({ requests: 3, served: 1, throttled: 1, aborted: 1, inflight: 0 });
    // Released, the endpoint answers at once again; releasing twice is harmless.
    release();
    expect((await post(url, chatBody('after'))).status).toBe(200);
  });

  it('changes profiles at run time and validates them', async () => {
    const s = await start([config('gpu-a', 'openai-http')]);
    s.setProfile('gpu-a', { error_rate: 1 });
    expect((await post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('x'))).status).toBe(500);
    s.setProfile('gpu-a', { error_rate: 0 });
    expect((await post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('x'))).status).toBe(200);
    expect(() => s.setProfile('gpu-a', { error_rate: 2 })).toThrow(
      'sim endpoint gpu-a: error_rate must be between 0 and 1',
    );
    expect(() => s.setProfile('nobody', {})).toThrow('no simulated endpoint "nobody"');
    expect(() => s.setFault('gpu-a', 'broken' as never)).toThrow('unknown fault mode "broken"');
    expect(() => s.stats('nobody')).toThrow('no simulated endpoint "nobody"');
  });

  it('refuses duplicate ids and duplicate SageMaker names at start', async () => {
    await expect(
      startSimEndpoints({ endpoints: [config('a', 'openai-http'), config('a', 'sagemaker')] }),
    ).rejects.toThrow('duplicate id');
    await expect(
      startSimEndpoints({
        endpoints: [config('a', 'sagemaker', { target: 'x' }), config('b', 'sagemaker', { target: 'x' })],
      }),
    ).rejects.toThrow('SageMaker endpoint name x is used twice');
  });

  it('streams chat over the SageMaker response stream in event-stream frames', async () => {
    const s = await start([config('sm-a', 'sagemaker')]);
    const runtime = createSageMakerRuntimeClient({ ...LOCAL_AWS, endpoint: s.url });
    const out = await runtime.send(
      new InvokeEndpointWithResponseStreamCommand({
        EndpointName: 'switchyard-sm-a',
        ContentType: 'application/json',
        Body: new TextEncoder().encode(JSON.stringify(chatBody('stream me please', { stream: true }))),
      }),
    );
    expect(out.ContentType).toBe('text/event-stream');
    let text = '';
    for await (const event of out.Body ?? []) {
      if (event.PayloadPart?.Bytes) text += new TextDecoder().decode(event.PayloadPart.Bytes);
    }
    const events = text
      .split('\n\n')
      .filter(Boolean)
      .map((line) => line.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events
      .slice(0, -1)
      .map(
        (e) =>
          JSON.parse(e) as { choices: Array<{ delta: { content?: string }; finish_reason: string | null }> },
      );
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
      '[sm-a] echo: stream me please',
    );
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    runtime.destroy();
  });

  it('stop() closes idle keep-alive connections and in-flight requests', async () => {
    const s = await start([config('gpu-a', 'openai-http', { latency_ms: 60_000 })]);
    expect((await fetch(`${baseUrl(s, 'gpu-a')}/models`)).status).toBe(200);
    const inflight = post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('x')).catch((e: unknown) => e);
    await vi.waitFor(() => expect(s.stats('gpu-a').inflight).toBe(1));
    await s.stop();
    sim = undefined;
    expect(await inflight).toBeInstanceOf(TypeError);
    expect(s.stats('gpu-a')).toMatchObject({ inflight: 0, aborted: 1 });
  });
});

describe('simulated streams', () => {
  const sseEvents = async (res: Response): Promise<string[]> =>
    (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: ?/, ''));

  it('the OpenAI server streams chat as SSE chunks, the usage chunk only when asked', async () => {
    const s = await start([config('gpu-a', 'openai-http')]);
    const plain = await post(
      `${baseUrl(s, 'gpu-a')}/chat/completions`,
      chatBody('hi there', { stream: true }),
    );
    expect(plain.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = await sseEvents(plain);
    expect(events).toHaveLength(7); // role, 4 words, finish, [DONE]
    expect(events.at(-1)).toBe('[DONE]');
    expect(JSON.parse(events[0] as string)).toMatchObject({
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    const withUsage = await sseEvents(
      await post(
        `${baseUrl(s, 'gpu-a')}/chat/completions`,
        chatBody('hi there', { stream: true, stream_options: { include_usage: true } }),
      ),
    );
    expect(withUsage).toHaveLength(8);
    expect(JSON.parse(withUsage.at(-2) as string)).toMatchObject({
      choices: [],
      usage: { completion_tokens: 6 },
    });
    expect(s.stats('gpu-a')).toMatchObject({ requests: 2, streams: 2, served: 2 });
  });

  it('the OpenAI server answers legacy completions, streamed or not', async () => {
    const s = await start([config('gpu-a', 'openai-http')]);
    const res = await post(`${baseUrl(s, 'gpu-a')}/completions`, { model: 'llama-up', prompt: 'Once upon' });
    expect(await res.json()).toMatchObject({
      object: 'text_completion',
      choices: [{ index: 0, text: '[gpu-a] completes: Once upon', logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 },
    });
    const events = await sseEvents(
      await post(`${baseUrl(s, 'gpu-a')}/completions`, {
        model: 'llama-up',
        prompt: 'Once upon',
        stream: true,
      }),
    );
    expect(
      events
        .slice(0, -1)
        .map((e) => (JSON.parse(e) as { choices: Array<{ text: string }> }).choices[0]?.text),
    ).toEqual(['[gpu-a] ', 'completes: ', 'Once ', 'upon', '']);
  });

  it('`cut` drops the connection after three chunks; a buffered answer before it is sent', async () => {
    const s = await start([config('gpu-a', 'openai-http')]);
    s.setFault('gpu-a', 'cut');
    const res = await post(
      `${baseUrl(s, 'gpu-a')}/chat/completions`,
      chatBody('one two three four', { stream: true }),
    );
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const error = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return undefined;
        text += new TextDecoder().decode(value);
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(text.split('\n\n').filter(Boolean)).toHaveLength(3);
    expect(text).not.toContain('[DONE]');
    const buffered = await post(`${baseUrl(s, 'gpu-a')}/chat/completions`, chatBody('x')).catch(
      (e: unknown) => e,
    );
    expect(buffered).toBeInstanceOf(TypeError);
    expect(s.stats('gpu-a')).toMatchObject({ requests: 2, errors: 2, served: 0 });
  });

  it('continues a conversation that ends with an assistant message (a resumed stream)', async () => {
    const s = await start([config('gpu-b', 'openai-http')]);
    const res = await post(`${baseUrl(s, 'gpu-b')}/chat/completions`, {
      model: 'llama-up',
      messages: [
        { role: 'user', content: 'tell me more' },
        { role: 'assistant', content: '[gpu-a] echo: tell ' },
      ],
    });
    const body = (await res.json()) as ChatCompletionResponse;
    expect(body.choices[0]?.message.content).toBe('me more');
  });

  it('SageMaker TGI endpoints stream the TGI token stream', async () => {
    const s = await start([config('sm-t', 'sagemaker', { chat_format: 'tgi' })]);
    const runtime = createSageMakerRuntimeClient({ ...LOCAL_AWS, endpoint: s.url });
    const out = await runtime.send(
      new InvokeEndpointWithResponseStreamCommand({
        EndpointName: 'switchyard-sm-t',
        ContentType: 'application/json',
        Body: new TextEncoder().encode(JSON.stringify(chatBody('go', { stream: true }))),
      }),
    );
    let text = '';
    for await (const event of out.Body ?? []) {
      if (event.PayloadPart?.Bytes) text += new TextDecoder().decode(event.PayloadPart.Bytes);
    }
    const events = text.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(3);
    expect(JSON.parse((events[0] as string).replace(/^data:/, ''))).toEqual({
      index: 0,
      token: { id: 1000, text: '[sm-t] ', logprob: -0.1, special: false },
      generated_text: null,
      details: null,
    });
    expect(JSON.parse((events[2] as string).replace(/^data:/, ''))).toMatchObject({
      generated_text: '[sm-t] echo: go',
      details: { finish_reason: 'eos_token', generated_tokens: 3 },
    });
    runtime.destroy();
  });

  it('validates the stream profile', async () => {
    const s = await start([config('gpu-a', 'openai-http')]);
    expect(() => s.setProfile('gpu-a', { tokens_per_s: 0 })).toThrow(
      'sim endpoint gpu-a: tokens_per_s must be a number > 0',
    );
    expect(() => s.setProfile('gpu-a', { ttft_ms: -1 })).toThrow(
      'sim endpoint gpu-a: ttft_ms must be a number ≥ 0',
    );
    s.setFault('gpu-a', 'cut');
    expect(s.list()[0]?.fault).toBe('cut');
  });
});
