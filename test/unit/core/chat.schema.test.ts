// The chat completion body against the OpenAI shapes: every documented form of messages,
// content parts, tool calls, tools, tool_choice, response_format and the sampling fields is
// accepted, `null` where OpenAI takes it, unknown fields pass through; a bad value is refused
// with the `param` that names it and a message that says why.
import { ChatCompletionRequestSchema, inputProblem } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

const user = { role: 'user', content: 'Hi' };
const base = { model: 'auto', messages: [user] };
const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: true,
  },
};

function problem(body: Record<string, unknown>): { param: string | null; message: string } | undefined {
  const parsed = ChatCompletionRequestSchema.safeParse(body);
  return parsed.success ? undefined : inputProblem(parsed.error);
}

describe('accepts what OpenAI accepts', () => {
  it.each<[string, Record<string, unknown>]>([
    [
      'every role',
      {
        messages: [
          { role: 'system', content: 'Be brief.', name: 'sys' },
          { role: 'developer', content: [{ type: 'text', text: 'Rules' }] },
          { role: 'user', content: 'Weather in Paris?', name: 'ann' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
            ],
          },
          { role: 'tool', content: '{"temp":20}', tool_call_id: 'call_1' },
          { role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }], refusal: null, audio: null },
          { role: 'function', name: 'get_weather', content: null },
          {
            role: 'assistant',
            tool_calls: [{ id: 'call_2', type: 'custom', custom: { name: 'sql', input: 'select 1' } }],
          },
        ],
      },
    ],
    [
      'every user content part',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Look', prompt_cache_breakpoint: { mode: 'explicit', ttl: '30m' } },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'high' } },
              { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
              { type: 'file', file: { file_id: 'file-1', filename: 'a.pdf' } },
            ],
          },
        ],
      },
    ],
    [
      'tools, tool_choice and parallel calls',
      {
        tools: [
          weather,
          {
            type: 'custom',
            custom: {
              name: 'sql',
              format: { type: 'grammar', grammar: { definition: 'x', syntax: 'lark' } },
            },
          },
        ],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        parallel_tool_calls: false,
      },
    ],
    ['tool_choice auto', { tools: [weather], tool_choice: 'auto' }],
    ['tool_choice none without tools', { tool_choice: 'none' }],
    ['tool_choice required', { tools: [weather], tool_choice: 'required' }],
    [
      'tool_choice custom',
      {
        tools: [{ type: 'custom', custom: { name: 'sql' } }],
        tool_choice: { type: 'custom', custom: { name: 'sql' } },
      },
    ],
    [
      'tool_choice allowed_tools',
      {
        tools: [weather],
        tool_choice: {
          type: 'allowed_tools',
          allowed_tools: {
            mode: 'required',
            tools: [{ type: 'function', function: { name: 'get_weather' } }],
          },
        },
      },
    ],
    ['response_format text', { response_format: { type: 'text' } }],
    ['response_format json_object', { response_format: { type: 'json_object' } }],
    [
      'response_format json_schema',
      {
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'answer-v1', schema: { type: 'object' }, strict: null, description: 'x' },
        },
      },
    ],
    [
      'the numbers at their bounds',
      {
        temperature: 2,
        top_p: 0,
        frequency_penalty: -2,
        presence_penalty: 2,
        logit_bias: { '50256': -100, '11': 100 },
        logprobs: true,
        top_logprobs: 20,
        seed: -7,
        max_tokens: 1,
        max_completion_tokens: 4096,
        n: 1,
      },
    ],
    ['stop as a string or up to 4 strings', { stop: ['a', 'b', 'c', 'd'] }],
    [
      'the enumerations',
      {
        service_tier: 'flex',
        reasoning_effort: 'xhigh',
        verbosity: 'low',
        modalities: ['text', 'audio'],
        audio: { format: 'mp3', voice: 'alloy' },
        prompt_cache_retention: '24h',
        store: false,
      },
    ],
    [
      'metadata of 16 pairs',
      { metadata: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'])) },
    ],
    ['prediction', { prediction: { type: 'content', content: 'draft' } }],
    [
      'null for every nullable field',
      Object.fromEntries(
        [
          'temperature',
          'top_p',
          'max_tokens',
          'max_completion_tokens',
          'n',
          'stop',
          'seed',
          'frequency_penalty',
          'presence_penalty',
          'logit_bias',
          'logprobs',
          'top_logprobs',
          'stream',
          'stream_options',
          'metadata',
          'modalities',
          'audio',
          'prediction',
          'reasoning_effort',
          'verbosity',
          'service_tier',
          'store',
          'safety_identifier',
          'prompt_cache_key',
          'prompt_cache_retention',
        ].map((k) => [k, null]),
      ),
    ],
    ['n 128, the most OpenAI accepts', { n: 128 }],
    ['n 2', { n: 2 }],
    ['unknown upstream extras (vLLM)', { top_k: 40, min_p: 0.05, guided_json: { type: 'object' } }],
  ])('%s', (_, extra) => {
    expect(problem({ ...base, ...extra })).toBeUndefined();
  });

  it('keeps unknown fields for the upstream', () => {
    const parsed = ChatCompletionRequestSchema.parse({ ...base, top_k: 40, repetition_penalty: 1.1 });
    expect(parsed).toMatchObject({ top_k: 40, repetition_penalty: 1.1 });
  });
});

describe('refuses what OpenAI refuses, naming the param', () => {
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['an unknown role', { messages: [{ role: 'robot', content: 'x' }] }, 'messages.0.role', /'system'/],
    ['a user message without content', { messages: [{ role: 'user' }] }, 'messages.0.content', /expected/],
    [
      'content of the wrong type',
      { messages: [{ role: 'user', content: 5 }] },
      'messages.0.content',
      /expected string or array/,
    ],
    [
      'an unknown content part type',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'video', video: {} },
            ],
          },
        ],
      },
      'messages.0.content.1.type',
      /'image_url'/,
    ],
    [
      'an image part without a URL',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] },
      'messages.0.content.0.image_url.url',
      /expected string/,
    ],
    [
      'an audio part in an unknown format',
      {
        messages: [
          { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'ogg' } }] },
        ],
      },
      'messages.0.content.0.input_audio.format',
      /"wav"/,
    ],
    [
      'an image part in a system message',
      { messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'u' } }] }] },
      'messages.0.content.0.type',
      /"text"/,
    ],
    [
      'a tool message without tool_call_id',
      { messages: [{ role: 'tool', content: 'x' }] },
      'messages.0.tool_call_id',
      /expected string/,
    ],
    [
      'a tool call without arguments',
      {
        messages: [
          { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f' } }] },
        ],
      },
      'messages.0.tool_calls.0.function.arguments',
      /expected string/,
    ],
    [
      'a function message without a name',
      { messages: [{ role: 'function', content: 'x' }] },
      'messages.0.name',
      /expected string/,
    ],
    ['a tool of an unknown type', { tools: [{ type: 'retrieval' }] }, 'tools.0.type', /'function'/],
    [
      'a function name with a space',
      { tools: [{ type: 'function', function: { name: 'get weather' } }] },
      'tools.0.function.name',
      /a-z, A-Z, 0-9/,
    ],
    [
      'parameters that are not an object',
      { tools: [{ type: 'function', function: { name: 'f', parameters: [1] } }] },
      'tools.0.function.parameters',
      /expected record/,
    ],
    ['an unknown tool_choice', { tools: [weather], tool_choice: 'always' }, 'tool_choice', /expected/],
    [
      'a tool_choice naming no tool',
      { tools: [weather], tool_choice: { type: 'function', function: { name: 'get_time' } } },
      'tool_choice',
      /"get_time", which is not in "tools"/,
    ],
    ['tool_choice required without tools', { tool_choice: 'required' }, 'tool_choice', /at least one tool/],
    [
      'an unknown response_format',
      { response_format: { type: 'yaml' } },
      'response_format.type',
      /'json_schema'/,
    ],
    [
      'a json_schema without a name',
      { response_format: { type: 'json_schema', json_schema: {} } },
      'response_format.json_schema.name',
      /expected string/,
    ],
    ['frequency_penalty over 2', { frequency_penalty: 2.01 }, 'frequency_penalty', /<=2/],
    ['presence_penalty under -2', { presence_penalty: -2.5 }, 'presence_penalty', />=-2/],
    ['temperature over 2', { temperature: 2.1 }, 'temperature', /<=2/],
    ['top_p over 1', { top_p: 1.5 }, 'top_p', /<=1/],
    ['a logit_bias key that is no token id', { logit_bias: { hello: 1 } }, 'logit_bias.hello', /token ids/],
    ['a logit_bias over 100', { logit_bias: { '1': 101 } }, 'logit_bias.1', /<=100/],
    ['top_logprobs over 20', { logprobs: true, top_logprobs: 21 }, 'top_logprobs', /<=20/],
    ['top_logprobs without logprobs', { top_logprobs: 2 }, 'top_logprobs', /"logprobs": true/],
    ['a fractional seed', { seed: 1.5 }, 'seed', /expected int/],
    ['five stop sequences', { stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', /expected/],
    [
      'stream_options without stream',
      { stream_options: { include_usage: true } },
      'stream_options',
      /"stream": true/,
    ],
    ['parallel_tool_calls null', { parallel_tool_calls: null }, 'parallel_tool_calls', /expected boolean/],
    [
      '17 metadata pairs',
      { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
      'metadata',
      /at most 16/,
    ],
    ['a metadata value over 512 characters', { metadata: { k: 'v'.repeat(513) } }, 'metadata.k', /<=512/],
    ['an unknown service_tier', { service_tier: 'gold' }, 'service_tier', /"flex"/],
    ['an unknown modality', { modalities: ['video'] }, 'modalities.0', /"audio"/],
    ['an unknown reasoning_effort', { reasoning_effort: 'extreme' }, 'reasoning_effort', /"minimal"/],
    ['n 129, over the 128 OpenAI takes', { n: 129 }, 'n', /<=128/],
    ['n 0', { n: 0 }, 'n', />=1/],
    ['a fractional n', { n: 1.5 }, 'n', /expected int/],
    ['max_tokens 0', { max_tokens: 0 }, 'max_tokens', />0/],
    ['user null', { user: null }, 'user', /expected string/],
  ])('%s', (_, extra, param, message) => {
    const found = problem({ ...base, ...extra });
    expect(found?.param).toBe(param);
    expect(found?.message).toMatch(message);
    expect(found?.message.startsWith(`${param}: `)).toBe(true);
  });
});
