// Reversible redaction: restore(redact(x)) = x for any text; placeholders typed and numbered per
// type, one per value; never one that the text already holds (so a look-alike survives both
// ways); the redacted text holds none of the values; a stream restored in any chunking reads the
// same as the whole answer restored at once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectPlaceholderLookalikes, detectPii, PiiVault } from '../../../../layers/core/src/index.ts';

const VALUES = [
  'jane.doe@example.com',
  'bob@example.org',
  '4111 1111 1111 1111',
  '5555555555554444',
  '219-45-6789',
  '+44 20 7946 0958',
  'DE89370400440532013000',
  '192.168.1.10',
  'AKIAIOSFODNN7EXAMPLE',
  'ghp_R4nD0mT0k3nV4lu3F0rT3st1ng0123456789',
];
const LOOKALIKES = ['[EMAIL_1]', '[EMAIL_2]', '[PAYMENT_CARD_1]', '[IPV4_1]', '[EMAIL_', '[', ']', '[X_1]'];

const arbFiller = fc.string({ unit: fc.constantFrom(...'ab xy.,:[]_1EMAIL'.split('')), maxLength: 12 });
/** Text made of filler, personal data values and placeholder look-alikes, space-separated. */
const arbText = fc
  .array(fc.oneof(arbFiller, fc.constantFrom(...VALUES), fc.constantFrom(...LOOKALIKES)), { maxLength: 12 })
  .map((parts) => parts.join(' '));

function redacted(text: string): { vault: PiiVault; out: string } {
  const taken = new Set<string>();
  collectPlaceholderLookalikes(text, taken);
  const vault = new PiiVault(taken);
  return { vault, out: vault.redact(text, detectPii(text)) };
}

/** A text cut at the given points (sorted, inside the text). */
function chunks(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const c of at) {
    out.push(text.slice(from, c));
    from = c;
  }
  out.push(text.slice(from));
  return out;
}

describe('redaction', () => {
  it('replaces values by typed placeholders numbered per type, one per value', () => {
    const text =
      'Mail jane.doe@example.com or bob@example.org; again jane.doe@example.com; card 4111 1111 1111 1111';
    const { vault, out } = redacted(text);
    expect(out).toBe('Mail [EMAIL_1] or [EMAIL_2]; again [EMAIL_1]; card [PAYMENT_CARD_1]');
    expect(vault.size).toBe(3);
    expect(vault.restore(out)).toBe(text);
  });

  it('skips placeholders the text already holds, and leaves those alone on restore', () => {
    const text = 'literal [EMAIL_1] and [EMAIL_3], real jane.doe@example.com and bob@example.org';
    const { vault, out } = redacted(text);
    expect(out).toBe('literal [EMAIL_1] and [EMAIL_3], real [EMAIL_2] and [EMAIL_4]');
    expect(vault.restore(out)).toBe(text);
    expect(vault.restore('the model says [EMAIL_1] and [EMAIL_4] and [EMAIL_9]')).toBe(
      'the model says [EMAIL_1] and bob@example.org and [EMAIL_9]',
    );
  });

  it('restore(redact(x)) = x, and the redacted text holds no value', () => {
    fc.assert(
      fc.property(arbText, (text) => {
        const { vault, out } = redacted(text);
        expect(vault.restore(out)).toBe(text);
        for (const v of VALUES) expect(out.includes(v)).toBe(false);
        expect(detectPii(out)).toEqual([]);
      }),
    );
  });

  it('issues no placeholder that the text already holds', () => {
    fc.assert(
      fc.property(arbText, (text) => {
        const { vault, out } = redacted(text);
        const issued = new Set<string>();
        for (const m of out.matchAll(/\[[A-Z][A-Z0-9_]*_\d+\]/g))
          if (vault.restore(m[0]) !== m[0]) issued.add(m[0]);
        for (const p of issued) expect(text.includes(p)).toBe(false);
      }),
    );
  });

  it('restores a stream cut anywhere exactly as the whole answer', () => {
    const arbAnswer = fc
      .array(
        fc.oneof(
          arbFiller,
          fc.constantFrom(
            '[EMAIL_1]',
            '[EMAIL_2]',
            '[PAYMENT_CARD_1]',
            '[EMAIL_',
            '[PAYMENT_CARD_',
            '[[EMAIL_1]]',
          ),
        ),
        { maxLength: 12 },
      )
      .map((p) => p.join(''));
    fc.assert(
      fc.property(arbText, arbAnswer, fc.array(fc.nat(), { maxLength: 10 }), (text, answer, cuts) => {
        const { vault } = redacted(text);
        const r = vault.streamRestorer();
        const streamed =
          chunks(answer, cuts)
            .map((c) => r.push(c))
            .join('') + r.flush();
        expect(streamed).toBe(vault.restore(answer));
      }),
    );
  });

  it('holds back only a tail that could still become an issued placeholder', () => {
    const { vault } = redacted('jane.doe@example.com and 4111 1111 1111 1111');
    const r = vault.streamRestorer();
    expect(r.push('Hi [EMA')).toBe('Hi ');
    expect(r.push('IL_1] and [PAY')).toBe('jane.doe@example.com and ');
    expect(r.push('MENT_CARD_1]! [X')).toBe('4111 1111 1111 1111! [X');
    expect(r.push(' [EMAIL_1')).toBe(' ');
    expect(r.push('0] [EMAIL_')).toBe('[EMAIL_10] ');
    expect(r.flush()).toBe('[EMAIL_');
    expect(r.flush()).toBe('');
    expect(vault.pendingTail('abc [EMAIL_1]')).toBe(0);
    expect(vault.pendingTail('abc [EMAIL_1')).toBe(8);
    expect(vault.pendingTail('abc [')).toBe(1);
  });

  it('an empty vault restores nothing and holds nothing', () => {
    const vault = new PiiVault();
    expect(vault.restore('[EMAIL_1]')).toBe('[EMAIL_1]');
    expect(vault.streamRestorer().push('[EMAIL_')).toBe('[EMAIL_');
  });
});
