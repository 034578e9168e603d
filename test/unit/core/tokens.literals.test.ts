// Token estimates as literal numbers (tokens.test.ts builds its expectations from the module's
// constants, so a changed constant would not fail it): the ASCII boundary at code 128, rounding
// up, the per-message and priming overheads, names, image parts, tool calls and other parts.
import { describe, expect, it } from 'vitest';
import {
  estimatePayloadTokens,
  estimatePromptTokens,
  estimateTextTokens,
} from '../../../layers/core/src/index.ts';

describe('token estimates (literal)', () => {
  it('code 127 is ASCII (4 to a token), code 128 is not (one token each)', () => {
    expect(estimateTextTokens('\u007f'.repeat(4))).toBe(1);
    expect(estimateTextTokens('\u0080'.repeat(4))).toBe(4);
    expect(estimateTextTokens('abc')).toBe(1);
    expect(estimateTextTokens('a'.repeat(9))).toBe(3);
    expect(estimateTextTokens('ab日本')).toBe(3);
  });

  it('an empty conversation costs the 3 priming tokens; each message 4 more', () => {
    expect(estimatePromptTokens([])).toBe(3);
    expect(estimatePromptTokens([{ role: 'user', content: '' }])).toBe(7);
    expect(estimatePromptTokens([{ role: 'user', content: 'Hello' }])).toBe(9);
    expect(
      estimatePromptTokens([
        { role: 'system', content: 'a'.repeat(40) },
        { role: 'user', content: 'b'.repeat(8) },
      ]),
    ).toBe(3 + 4 + 10 + 4 + 2);
  });

  it('names, text parts and image parts (765 each)', () => {
    const tokens = estimatePromptTokens([
      {
        role: 'user',
        name: 'abcd',
        content: [
          { type: 'text', text: 'b'.repeat(8) },
          { type: 'image_url', image_url: { url: 'https://x/y.png' } },
          { type: 'image_url', image_url: { url: 'https://x/z.png' } },
        ],
      },
    ] as never);
    expect(tokens).toBe(3 + 4 + 1 + 2 + 765 + 765);
  });

  it('tool calls and other parts count as their JSON size / 4, rounded up', () => {
    const toolCalls = [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }];
    // JSON.stringify(toolCalls) is 72 characters: 18 tokens.
    expect(JSON.stringify(toolCalls)).toHaveLength(72);
    expect(estimatePromptTokens([{ role: 'assistant', content: null, tool_calls: toolCalls }] as never)).toBe(
      3 + 4 + 18,
    );
    const audio = { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } };
    // 67 characters: 17 tokens.
    expect(JSON.stringify(audio)).toHaveLength(67);
    expect(estimatePromptTokens([{ role: 'user', content: [audio] }] as never)).toBe(3 + 4 + 17);
  });

  it('payloads: JSON size / 4 rounded up, strings as text, nothing for undefined', () => {
    expect(estimatePayloadTokens({ text: 'x'.repeat(30) })).toBe(11); // 41 characters
    expect(estimatePayloadTokens([1, 2])).toBe(2); // "[1,2]"
    expect(estimatePayloadTokens(7)).toBe(1);
    expect(estimatePayloadTokens('abcdefghi')).toBe(3);
    expect(estimatePayloadTokens('日本')).toBe(2);
    expect(estimatePayloadTokens(undefined)).toBe(0);
    // Values JSON has no text for count nothing (and do not throw).
    expect(estimatePayloadTokens(() => 1)).toBe(0);
    expect(estimatePayloadTokens(Symbol('s'))).toBe(0);
  });
});
