// The affinity key (core affinity/affinity-key.ts): sticky_key, else `user`, else a hash of the
// conversation's opening (every message up to and including the first user message), so the
// turns of one conversation share it and other conversations do not.
import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../../../../layers/core/src/index.ts';
import {
  affinityKey,
  chatRouteRequest,
  conversationKey,
  MAX_HASHED_CHARS,
} from '../../../../layers/core/src/index.ts';

const SYSTEM = { role: 'system', content: 'You are a terse assistant.' };
const Q1 = { role: 'user', content: 'What is a hash ring?' };
const A1 = { role: 'assistant', content: 'A circle of hashes.' };
const Q2 = { role: 'user', content: 'And bounded loads?' };

describe('conversationKey', () => {
  it('is a 64-bit hex hash of the opening, stable across releases', () => {
    expect(
      conversationKey([
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'hi' },
      ]),
    ).toBe('c:da97925c9d323c94');
    expect(conversationKey([SYSTEM, Q1])).toMatch(/^c:[0-9a-f]{16}$/);
  });

  it('is the same for turn 1, 2 and 3 of one conversation', () => {
    const k1 = conversationKey([SYSTEM, Q1]);
    expect(conversationKey([SYSTEM, Q1, A1, Q2])).toBe(k1);
    expect(conversationKey([SYSTEM, Q1, A1, Q2, A1, { role: 'user', content: 'thanks' }])).toBe(k1);
  });

  it('differs for another first question, another system prompt, or none', () => {
    const k = conversationKey([SYSTEM, Q1]);
    expect(conversationKey([SYSTEM, Q2])).not.toBe(k);
    expect(conversationKey([{ role: 'system', content: 'You are verbose.' }, Q1])).not.toBe(k);
    expect(conversationKey([Q1])).not.toBe(k);
  });

  it('reads through developer prompts and an assistant greeting to the first user message', () => {
    const dev = { role: 'developer', content: 'Answer in French.' };
    const hello = { role: 'assistant', content: 'Bonjour ! Que puis-je faire ?' };
    expect(conversationKey([dev, hello, Q1])).not.toBe(conversationKey([dev, hello, Q2]));
    expect(conversationKey([SYSTEM, dev, Q1])).not.toBe(conversationKey([SYSTEM, dev, Q2]));
    expect(conversationKey([dev, hello, Q1, A1, Q2])).toBe(conversationKey([dev, hello, Q1]));
  });

  it('tells roles and message boundaries apart', () => {
    expect(conversationKey([{ role: 'developer', content: SYSTEM.content }, Q1])).not.toBe(
      conversationKey([SYSTEM, Q1]),
    );
    expect(
      conversationKey([
        { role: 'system', content: 'ab' },
        { role: 'user', content: 'c' },
      ]),
    ).not.toBe(
      conversationKey([
        { role: 'system', content: 'a' },
        { role: 'user', content: 'bc' },
      ]),
    );
  });

  it('reads content parts: text and image URLs', () => {
    const parts = (text: string, url: string) => [
      {
        role: 'user',
        content: [
          { type: 'text', text },
          { type: 'image_url', image_url: { url } },
        ],
      },
    ];
    const k = conversationKey(parts('look', 'https://x/1.png'));
    expect(k).toMatch(/^c:/);
    expect(conversationKey(parts('look', 'https://x/2.png'))).not.toBe(k);
    expect(conversationKey(parts('see', 'https://x/1.png'))).not.toBe(k);
    expect(conversationKey(parts('look', 'https://x/1.png'))).toBe(k);
  });

  it(`reads at most ${MAX_HASHED_CHARS} characters of a text, and its length`, () => {
    expect(MAX_HASHED_CHARS).toBe(4096);
    const long = 'x'.repeat(MAX_HASHED_CHARS);
    const key = (tail: string) => conversationKey([{ role: 'user', content: long + tail }]);
    // Past the limit only the length counts: same length, same key; other length, other key.
    expect(key('a')).toBe(key('b'));
    expect(key('ab')).not.toBe(key('a'));
    // Within the limit every character counts.
    const short = (c: string) =>
      conversationKey([{ role: 'user', content: `${'x'.repeat(MAX_HASHED_CHARS - 1)}${c}` }]);
    expect(short('a')).not.toBe(short('b'));
  });

  it('has no key without a user message, or for messages that are not objects with a role', () => {
    expect(conversationKey([SYSTEM])).toBeUndefined();
    expect(conversationKey([])).toBeUndefined();
    expect(conversationKey(['hello'])).toBeUndefined();
    expect(conversationKey([{ content: 'no role' }, Q1])).toBeUndefined();
  });
});

describe('affinityKey', () => {
  it('prefers sticky_key, then user, then the conversation key', () => {
    const c = 'c:0123456789abcdef';
    expect(affinityKey({ hints: { sticky_key: 'chat-7' }, user: 'ann', conversation_key: c })).toEqual({
      key: 's:chat-7',
      source: 'sticky_key',
    });
    expect(affinityKey({ hints: {}, user: 'ann', conversation_key: c })).toEqual({
      key: 'u:ann',
      source: 'user',
    });
    expect(affinityKey({ hints: {}, conversation_key: c })).toEqual({ key: c, source: 'conversation' });
    expect(affinityKey({ hints: {} })).toBeUndefined();
    expect(affinityKey({ hints: {}, user: '' })).toBeUndefined();
  });

  it('keeps a sticky key and a user of the same name apart', () => {
    expect(affinityKey({ hints: { sticky_key: 'x' } })?.key).not.toBe(
      affinityKey({ hints: {}, user: 'x' })?.key,
    );
  });
});

describe('chatRouteRequest', () => {
  it('carries the conversation key of the chat body, and none without a user message', () => {
    const body = (messages: unknown[]) => ({ model: 'auto', messages }) as unknown as ChatCompletionRequest;
    const r = chatRouteRequest(body([SYSTEM, Q1, A1, Q2]), {}, { id: 't' });
    expect(r.conversation_key).toBe(conversationKey([SYSTEM, Q1]));
    expect(chatRouteRequest(body([SYSTEM]), {}, { id: 't' })).not.toHaveProperty('conversation_key');
  });
});
