// Telephone numbers in the forms people write them: international (`+` and a country code, 8
// to 15 digits in all, E.164's limit, groups separated by spaces, dots, dashes or a bracketed
// area code), North American (`(415) 555-0132`, `415-555-0132`, `1-800-555-0199`, area code
// 2-9) and national trunk-prefixed ones (`020 7946 0958`, 10 or 11 digits). A bare run of digits
// is never a phone number here (order numbers, timestamps). Hard negatives: dates, ISBNs,
// version strings, card-like groups of four.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { matchesOf } from './boundaries.ts';

const INTERNATIONAL = /(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,6}(?![\w.-]?\d)/g;
/** The last group of a number with its separator (a group's digits are never split). */
const LAST_GROUP = /[ .-]\(?\d{1,5}\)?$/;
const NORTH_AMERICAN =
  /(?<![\w.+-])(?:1[ .-])?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}(?![\w]|[.-]\d)/g;
const NATIONAL = /(?<![\w.+-])0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?![\w]|[.-]\d)/g;

function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) n++;
  return n;
}

export const phoneDetector: PiiDetector = {
  type: 'phone',
  detect(text) {
    if (!/\d\d/.test(text)) return [];
    const spans: PiiSpan[] = [];
    const add = (start: number, end: number) => {
      if (!spans.some((s) => start < s.end && s.start < end)) spans.push({ type: 'phone', start, end });
    };
    if (text.includes('+')) {
      for (const m of matchesOf(INTERNATIONAL, text)) {
        // A run of groups may go on into the next number (a card, an SSN): drop trailing groups
        // until at most 15 digits remain and what follows is not `-` or `.` and a digit.
        let number = m[0];
        let digits = digitCount(number);
        const cutAfter = (end: number) => /^[.-]\d/.test(text.slice(end, end + 2));
        while (digits >= 8 && (digits > 15 || cutAfter(m.index + number.length))) {
          const shorter = number.replace(LAST_GROUP, '');
          if (shorter === number) break;
          number = shorter;
          digits = digitCount(number);
        }
        if (digits >= 8 && digits <= 15) add(m.index, m.index + number.length);
      }
    }
    for (const m of matchesOf(NORTH_AMERICAN, text)) add(m.index, m.index + m[0].length);
    for (const m of matchesOf(NATIONAL, text)) {
      const digits = digitCount(m[0]);
      if (digits >= 10 && digits <= 11) add(m.index, m.index + m[0].length);
    }
    return spans.sort((a, b) => a.start - b.start);
  },
};
