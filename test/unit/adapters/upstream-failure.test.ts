import { failureForStatus, parseJsonBody, toChatCompletion, transportError } from '@switchyard/adapters';
import { UpstreamError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

describe('failureForStatus', () => {
  it.each([
    [429, 'throttled'],
    [408, 'timeout'],
    [400, 'rejected'],
    [413, 'rejected'],
    [422, 'rejected'],
    [401, 'server'],
    [403, 'server'],
    [404, 'server'],
    [500, 'server'],
    [502, 'server'],
    [503, 'server'],
  ] as const)('HTTP %i → %s', (status, failure) => {
    expect(failureForStatus(status)).toBe(failure);
  });
});

describe('transportError', () => {
  it('says timeout when the attempt signal was aborted, whatever was thrown', () => {
    const controller = new AbortController();
    controller.abort();
    const e = transportError(new TypeError('fetch failed'), controller.signal, 'gpu-a');
    expect(e.failure).toBe('timeout');
    expect(e.retryable).toBe(true);
  });

  it('reads the error code through the cause chain', () => {
    const err = new TypeError('fetch failed', {
      cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
    });
    const e = transportError(err, new AbortController().signal, 'gpu-a');
    expect(e.failure).toBe('connection');
    expect(e.message).toBe('gpu-a: connection failed (ECONNREFUSED)');
  });

  it('treats client-side timeouts as timeouts', () => {
    const err = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    expect(transportError(err, new AbortController().signal, 'sm').failure).toBe('timeout');
  });

  it('passes an UpstreamError through', () => {
    const original = new UpstreamError('rejected', 'bad');
    expect(transportError(original, new AbortController().signal, 'x')).toBe(original);
  });
});

describe('parseJsonBody', () => {
  it('throws invalid-response on a body that is not JSON', () => {
    expect(() => parseJsonBody('<html>', 'gpu-a', 200)).toThrow(
      expect.objectContaining({ failure: 'invalid-response', upstreamStatus: 200 }),
    );
  });

  it('parses an answer 64 levels deep and refuses 65 as invalid-response', () => {
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(parseJsonBody(nested(64), 'gpu-a', 200)).toBeInstanceOf(Array);
    expect(() => parseJsonBody(nested(65), 'gpu-a', 200)).toThrow(
      expect.objectContaining({
        failure: 'invalid-response',
        upstreamStatus: 200,
        message: 'gpu-a: the response nests more than 64 levels deep',
      }),
    );
  });
});

describe('toChatCompletion', () => {
  const ctx = { endpoint: 'sm', model: 'llama', now: () => 1_700_000_000_000, newId: () => 'chatcmpl-x' };

  it('fills the envelope of an OpenAI answer and keeps its usage', () => {
    const result = toChatCompletion(
      {
        choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      },
      ctx,
    );
    expect(result.body).toMatchObject({
      id: 'chatcmpl-x',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'llama',
    });
    expect(result.usage).toEqual({ prompt_tokens: 3, completion_tokens: 1 });
  });

  it('wraps a TGI [{generated_text}] answer without inventing usage', () => {
    const result = toChatCompletion([{ generated_text: 'hello' }], ctx);
    expect(result.body).toEqual({
      id: 'chatcmpl-x',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'llama',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
    });
    expect(result.usage).toBeUndefined();
  });

  it.each([[{ label: 'positive' }], [{ choices: [] }], [{ choices: [{ text: 'legacy' }] }], ['text']])(
    'rejects %j as an invalid response',
    (body) => {
      expect(() => toChatCompletion(body, ctx)).toThrow(
        expect.objectContaining({ failure: 'invalid-response' }),
      );
    },
  );
});
