// The affinity key of a request: what makes two requests "the same conversation", so that they
// go to the same replica and its prefix cache (vLLM's automatic prefix caching, TGI's, SGLang's
// radix cache) is reused. In order:
//   1. hints.sticky_key (x-switchyard-sticky-key), the caller's explicit statement;
//   2. the OpenAI `user` field (as the canary's sticky draw uses it);
//   3. a hash of the conversation's opening: every message up to and including the first `user`
//      message (system and developer prompts, and the first question). Turn N and N+1 of one
//      conversation send the same opening, with more turns after it, so they get the same key;
//      two conversations that open with the same system prompt but different first questions
//      do not.
// The conversation hash is non-cryptographic (two 32-bit hashes, FNV-1a and a murmur-style
// multiply-xor, 64 bits together) and reads at most MAX_HASHED_CHARS characters of each text (and
// its full length), so its cost is bounded whatever the prompt's size. A collision only puts two
// conversations on one replica, which the load bound keeps harmless. The text itself is never
// kept; the key is not shown in explanations (see affinity.ts).

/** Characters of each message text (or content part) the conversation hash reads. */
export const MAX_HASHED_CHARS = 4096;

export type AffinityKeySource = 'sticky_key' | 'user' | 'conversation';

export interface AffinityKey {
  readonly key: string;
  readonly source: AffinityKeySource;
}

/** What affinityKey reads of a request (a RouteRequest fits). */
export interface AffinityKeyInput {
  readonly hints: { readonly sticky_key?: string | undefined };
  readonly user?: string | undefined;
  readonly conversation_key?: string | undefined;
}

/** The request's affinity key and where it came from, or undefined when it has none. */
export function affinityKey(request: AffinityKeyInput): AffinityKey | undefined {
  const sticky = request.hints.sticky_key;
  if (sticky) return { key: `s:${sticky}`, source: 'sticky_key' };
  if (request.user) return { key: `u:${request.user}`, source: 'user' };
  if (request.conversation_key) return { key: request.conversation_key, source: 'conversation' };
  return undefined;
}

class Hash64 {
  a = 0x811c9dc5;
  b = 0x9747b28c;

  text(s: string): void {
    const n = Math.min(s.length, MAX_HASHED_CHARS);
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.a = a;
    this.b = b;
    // The full length, and a separator, so that "ab"+"c" and "a"+"bc" differ.
    this.int(s.length);
  }

  int(x: number): void {
    this.a = Math.imul(this.a ^ (x >>> 0), 0x01000193);
    this.b = Math.imul(this.b ^ (x >>> 0), 0x5bd1e995);
    this.b ^= this.b >>> 15;
  }

  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}

/** Hashes one message's content: a string, or content parts (text, image URL, audio, file). */
function hashContent(h: Hash64, content: unknown): void {
  if (typeof content === 'string') {
    h.text(content);
    return;
  }
  if (!Array.isArray(content)) {
    h.int(0);
    return;
  }
  h.int(content.length);
  for (const part of content as unknown[]) {
    if (typeof part !== 'object' || part === null) continue;
    const p = part as Record<string, unknown>;
    if (typeof p.type === 'string') h.text(p.type);
    if (typeof p.text === 'string') h.text(p.text);
    const image = p.image_url as { url?: unknown } | undefined;
    if (typeof image?.url === 'string') h.text(image.url);
    const audio = p.input_audio as { data?: unknown } | undefined;
    if (typeof audio?.data === 'string') h.text(audio.data);
    const file = p.file as { file_data?: unknown; file_id?: unknown } | undefined;
    if (typeof file?.file_id === 'string') h.text(file.file_id);
    if (typeof file?.file_data === 'string') h.text(file.file_data);
  }
}

/**
 * The conversation key of chat `messages`: a hash of every message up to and including the first
 * `user` one (roles and contents). Undefined when there is no user message.
 */
export function conversationKey(messages: ReadonlyArray<unknown>): string | undefined {
  const h = new Hash64();
  for (const m of messages) {
    if (typeof m !== 'object' || m === null) return undefined;
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string') return undefined;
    h.text(role);
    hashContent(h, content);
    if (role === 'user') return `c:${h.hex()}`;
  }
  return undefined;
}
