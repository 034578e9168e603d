// Token estimates: ASCII at ~4 characters per token, other characters one each, message
// overheads, image parts and JSON payloads.
import { describe, expect, it } from 'vitest';
import {
  estimatePayloadTokens,
  estimatePromptTokens,
  estimateTextTokens,
  IMAGE_PART_TOKENS,
  MESSAGE_OVERHEAD_TOKENS,
  REPLY_PRIMING_TOKENS,
} from '../../../layers/core/src/index.ts';

describe('token estimates', () => {
  it('counts ASCII at 4 characters per token and other characters as one token each', () => {
    expect(estimateTextTokens('')).toBe(0);
    expect(estimateTextTokens('abcd')).toBe(1);
    expect(estimateTextTokens('abcde')).toBe(2);
    expect(estimateTextTokens('日本語のテキスト')).toBe(8);
  });

  it('adds per-message overhead, names, text parts and images', () => {
    const tokens = estimatePromptTokens([
      { role: 'system', content: 'a'.repeat(40) },
      {
        role: 'user',
        name: 'abcd',
        content: [
          { type: 'text', text: 'b'.repeat(8) },
          { type: 'image_url', image_url: { url: 'https://x/y.png' } },
        ],
      },
      { role: 'assistant', content: null },
    ]);
    expect(tokens).toBe(REPLY_PRIMING_TOKENS + 3 * MESSAGE_OVERHEAD_TOKENS + 10 + 1 + 2 + IMAGE_PART_TOKENS);
  });

  it('grows with the prompt', () => {
    const short = estimatePromptTokens([{ role: 'user', content: 'hi' }]);
    const long = estimatePromptTokens([{ role: 'user', content: 'hi '.repeat(1000) }]);
    expect(long - short).toBeGreaterThan(700);
  });

  it('estimates payloads as JSON size / 4, strings as text', () => {
    expect(estimatePayloadTokens({ text: 'x'.repeat(30) })).toBe(
      Math.ceil(JSON.stringify({ text: 'x'.repeat(30) }).length / 4),
    );
    expect(estimatePayloadTokens('abcdefgh')).toBe(2);
    expect(estimatePayloadTokens(undefined)).toBe(0);
  });

  it('counts refusal parts as text, tool calls and other parts as JSON', () => {
    const tokens = estimatePromptTokens([
      { role: 'assistant', content: [{ type: 'refusal', refusal: 'n'.repeat(8) }] },
      {
        role: 'assistant',
        tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
      { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'QUJD', format: 'wav' } }] },
    ]);
    // refusal 2; tool_calls JSON is 71 characters (18 tokens); the audio part 67 (17 tokens).
    expect(tokens).toBe(REPLY_PRIMING_TOKENS + 3 * MESSAGE_OVERHEAD_TOKENS + 2 + 18 + 17);
  });

  it('measures a payload nested 10,000 deep without overflowing', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    // 10,000 pairs of brackets around "x": 20,003 characters.
    expect(estimatePayloadTokens(deep)).toBe(5001);
  });
});
