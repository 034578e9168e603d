// Reversible redaction: each value found becomes a typed placeholder (`[EMAIL_1]`; one value,
// one placeholder) and the answer gets the values back. A placeholder is never one that the
// request's own text already contains, so text that only looks like one is left alone both ways
// and restore(redact(x)) = x. Streams restore chunk by chunk, holding back only a tail that could
// still become a placeholder (at most its length), so the client reads the same text as buffered.
import type { PiiSpan, PiiType } from './pii.types.ts';

/** What looks like a placeholder: `[` upper-case label `_` number `]`. */
const PLACEHOLDER = /\[[A-Z][A-Z0-9_]*_\d+\]/g;

/** Adds every placeholder-looking token of `text` to `into` (they are never issued). */
export function collectPlaceholderLookalikes(text: string, into: Set<string>): void {
  if (!text.includes('[')) return;
  for (const m of text.matchAll(PLACEHOLDER)) into.add(m[0]);
}

/** The values of one request and their placeholders. Holds personal data: never log or store it. */
export class PiiVault {
  readonly #byValue = new Map<string, string>();
  readonly #byPlaceholder = new Map<string, string>();
  readonly #counters = new Map<PiiType, number>();
  readonly #taken: ReadonlySet<string>;
  #longest = 0;

  /** `taken`: placeholder-looking tokens of the request's own text (collectPlaceholderLookalikes). */
  constructor(taken: ReadonlySet<string> = new Set()) {
    this.#taken = taken;
  }

  /** Placeholders issued. */
  get size(): number {
    return this.#byPlaceholder.size;
  }

  /** The placeholder of `value` (the same one each time it is asked for). */
  placeholder(type: PiiType, value: string): string {
    const key = `${type}\u0000${value}`;
    const known = this.#byValue.get(key);
    if (known !== undefined) return known;
    const label = type.toUpperCase();
    let n = this.#counters.get(type) ?? 0;
    let placeholder: string;
    do placeholder = `[${label}_${++n}]`;
    while (this.#taken.has(placeholder));
    this.#counters.set(type, n);
    this.#byValue.set(key, placeholder);
    this.#byPlaceholder.set(placeholder, value);
    this.#longest = Math.max(this.#longest, placeholder.length);
    return placeholder;
  }

  /** `text` with each span replaced by its placeholder (spans sorted, not overlapping). */
  redact(text: string, spans: readonly PiiSpan[]): string {
    if (spans.length === 0) return text;
    let out = '';
    let at = 0;
    for (const s of spans) {
      out += text.slice(at, s.start) + this.placeholder(s.type, text.slice(s.start, s.end));
      at = s.end;
    }
    return out + text.slice(at);
  }

  /** `text` with every placeholder this vault issued replaced by its value. */
  restore(text: string): string {
    if (this.#byPlaceholder.size === 0 || !text.includes('[')) return text;
    return text.replace(PLACEHOLDER, (p) => this.#byPlaceholder.get(p) ?? p);
  }

  /** Chars of `text`'s end to hold back: a `[` tail that is a proper prefix of an issued placeholder. */
  pendingTail(text: string): number {
    const open = text.lastIndexOf('[');
    if (open === -1 || text.length - open >= this.#longest) return 0;
    const tail = text.slice(open);
    for (const p of this.#byPlaceholder.keys())
      if (p.length > tail.length && p.startsWith(tail)) return tail.length;
    return 0;
  }

  /** A restorer for one streamed text (one per choice). */
  streamRestorer(): StreamRestorer {
    return new StreamRestorer(this);
  }
}

/** Restores one streamed text piece by piece: push each piece, then flush at its end. */
export class StreamRestorer {
  readonly #vault: PiiVault;
  #held = '';

  constructor(vault: PiiVault) {
    this.#vault = vault;
  }

  /** The restored text that can go out now (maybe empty while a placeholder may be arriving). */
  push(piece: string): string {
    const text = this.#held + piece;
    const hold = this.#vault.pendingTail(text);
    this.#held = hold === 0 ? '' : text.slice(text.length - hold);
    return this.#vault.restore(hold === 0 ? text : text.slice(0, text.length - hold));
  }

  /** What is still held back (the stream's text ended: it was no placeholder). */
  flush(): string {
    const rest = this.#held;
    this.#held = '';
    return rest;
  }
}
