// The OpenAI wire format of stream events, as literal strings.
import { describe, expect, it } from 'vitest';
import { OpenAiSseFormatter } from '../../../layers/core/src/index.ts';

const ctx = { id: 'chatcmpl-1', created: 1700000000, model: 'llama-3-8b' };

describe('OpenAiSseFormatter', () => {
  it('chat: a role chunk before the first delta, content deltas, the finish, [DONE]', () => {
    const f = new OpenAiSseFormatter({ ...ctx, kind: 'chat', includeUsage: false });
    expect(f.format({ type: 'chunk', chunk: { text: 'Hi' } })).toBe(
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"llama-3-8b","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n' +
        'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"llama-3-8b","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}\n\n',
    );
    expect(f.format({ type: 'chunk', chunk: { text: '!' } })).toBe(
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"llama-3-8b","choices":[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}]}\n\n',
    );
    expect(f.format({ type: 'finish', index: 0, finish_reason: 'stop' })).toBe(
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"llama-3-8b","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}\n\n',
    );
    expect(f.format({ type: 'usage', usage: { prompt_tokens: 1, completion_tokens: 2 } })).toBe('');
    expect(f.done()).toBe('data: [DONE]\n\n');
  });

  it('include_usage: "usage": null on every chunk and a last chunk with no choices', () => {
    const f = new OpenAiSseFormatter({ ...ctx, kind: 'chat', includeUsage: true });
    f.format({ type: 'chunk', chunk: { text: 'x' } });
    expect(f.format({ type: 'finish', index: 0, finish_reason: 'length' })).toBe(
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"llama-3-8b","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}],"usage":null}\n\n',
    );
    expect(f.format({ type: 'usage', usage: { prompt_tokens: 5, completion_tokens: 7 } })).toBe(
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"llama-3-8b","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}\n\n',
    );
  });

  it('a resumed finish says who resumed it; tool-call deltas pass through', () => {
    const f = new OpenAiSseFormatter({ ...ctx, kind: 'chat', includeUsage: false });
    expect(f.format({ type: 'chunk', chunk: { tool_calls: [{ index: 0, id: 't' }] } })).toContain(
      '"delta":{"tool_calls":[{"index":0,"id":"t"}]}',
    );
    const resumed_by = [{ endpoint: 'b', model: 'm', version: 'v1', after_chars: 9 }];
    expect(f.format({ type: 'finish', index: 0, finish_reason: 'stop', resumed_by })).toBe(
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"llama-3-8b","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"x_switchyard":{"resumed":true,"resumed_by":[{"endpoint":"b","model":"m","version":"v1","after_chars":9}]}}\n\n',
    );
  });

  it('completions: text_completion chunks without a role chunk', () => {
    const f = new OpenAiSseFormatter({ ...ctx, id: 'cmpl-1', kind: 'completion', includeUsage: false });
    expect(f.format({ type: 'chunk', chunk: { index: 1, text: 'abc' } })).toBe(
      'data: {"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"llama-3-8b","choices":[{"text":"abc","index":1,"logprobs":null,"finish_reason":null}]}\n\n',
    );
    expect(f.format({ type: 'finish', index: 1, finish_reason: 'stop' })).toBe(
      'data: {"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"llama-3-8b","choices":[{"text":"","index":1,"logprobs":null,"finish_reason":"stop"}]}\n\n',
    );
  });

  it('an error event is an OpenAI error object', () => {
    const f = new OpenAiSseFormatter({ ...ctx, kind: 'chat', includeUsage: true });
    expect(
      f.format({
        type: 'error',
        error: { message: 'cut', type: 'upstream_error', code: 'stream_interrupted' },
      }),
    ).toBe(
      'data: {"error":{"message":"cut","type":"upstream_error","code":"stream_interrupted","param":null}}\n\n',
    );
  });
});
