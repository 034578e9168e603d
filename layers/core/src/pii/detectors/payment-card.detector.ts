// Payment card numbers (PANs): 12 to 19 digits, bare or in groups split by one kind of separator
// (space or dash), whose prefix is an issuer's (Visa, Mastercard, American Express, Discover,
// JCB, Diners Club, UnionPay, Maestro) at a length that issuer uses, and whose Luhn check digit
// holds. A run with more groups (an expiry date after the number) is tried group by group.
// Hard negatives: order numbers that fail Luhn, ISBN-13s (978/979: no issuer), timestamps.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { matchesOf } from './boundaries.ts';

/** A run of digit groups (the first of 4 or more: 4-4-4-4, 4-6-5 or bare) split by spaces or dashes. */
const CANDIDATE = /(?<![\w.,-])\d{4,19}(?:[ -]\d{2,19})*(?![\w]|[.,-]\d)/g;

/** Issuer prefixes and the lengths they issue. */
const ISSUERS: ReadonlyArray<{ prefix: RegExp; lengths: readonly number[] }> = [
  { prefix: /^4/, lengths: [13, 16, 19] },
  { prefix: /^(?:5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/, lengths: [16] },
  { prefix: /^3[47]/, lengths: [15] },
  { prefix: /^(?:6011|65|64[4-9])/, lengths: [16, 17, 18, 19] },
  { prefix: /^35(?:2[89]|[3-8]\d)/, lengths: [16, 17, 18, 19] },
  { prefix: /^3(?:0[0-5]|[689])/, lengths: [14, 15, 16, 17, 18, 19] },
  { prefix: /^62/, lengths: [16, 17, 18, 19] },
  { prefix: /^(?:5018|5020|5038|6304|6759|676[1-3])/, lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
];

/** The Luhn (mod 10) check over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function isCard(digits: string): boolean {
  if (digits.length < 12 || digits.length > 19) return false;
  return ISSUERS.some((i) => i.lengths.includes(digits.length) && i.prefix.test(digits)) && luhnValid(digits);
}

export const paymentCardDetector: PiiDetector = {
  type: 'payment_card',
  detect(text) {
    if (!/\d{4}/.test(text)) return [];
    const spans: PiiSpan[] = [];
    for (const m of matchesOf(CANDIDATE, text)) {
      if (m[0].length < 12) continue;
      const groups = m[0].split(/[ -]/);
      const starts: number[] = [];
      let at = m.index;
      for (const g of groups) {
        starts.push(at);
        at += g.length + 1;
      }
      // The longest run of whole groups, from the first, split by one kind of separator only,
      // that is a card number.
      for (let first = 0; first < groups.length; first++) {
        const begin = starts[first] as number;
        const sep = text[begin + (groups[first] as string).length];
        for (let last = groups.length; last > first; last--) {
          const end = (starts[last - 1] as number) + (groups[last - 1] as string).length;
          const run = text.slice(begin, end);
          if (last - first > 1 && run.split(sep as string).length !== last - first) continue;
          if (!isCard(groups.slice(first, last).join(''))) continue;
          spans.push({ type: 'payment_card', start: begin, end });
          first = last - 1;
          break;
        }
      }
    }
    return spans;
  },
};
