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
});
