// US Social Security numbers: `AAA-GG-SSSS` (dashes or spaces, the same both times) with the
// SSA's rules (area not 000, 666 or 900-999; group not 00; serial not 0000) and the numbers the
// SSA says were never issued (078-05-1120, 219-09-9999, 123-45-6789); nine bare digits only right
// after the words "SSN" or "social security". Hard negatives: phone numbers, dates, ZIP+4.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { matchesOf } from './boundaries.ts';

const FORMATTED = /(?<![\w.-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w]|[.-]\d)/g;
const BARE =
  /(?:\bssn|\bsocial security(?: number| no\.?| #)?)\s*(?:#|no\.?|number)?\s*[:=]?\s*(\d{9})(?!\w)/gi;
const NEVER_ISSUED = new Set(['078051120', '219099999', '123456789']);

function valid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (group === '00' || serial === '0000') return false;
  return !NEVER_ISSUED.has(area + group + serial);
}

export const usSsnDetector: PiiDetector = {
  type: 'us_ssn',
  detect(text) {
    if (!/\d{4}/.test(text)) return [];
    const spans: PiiSpan[] = [];
    for (const m of matchesOf(FORMATTED, text)) {
      if (valid(m[1] as string, m[3] as string, m[4] as string)) {
        spans.push({ type: 'us_ssn', start: m.index, end: m.index + m[0].length });
      }
    }
    const labelled = ['SSN', 'ssn', 'Ssn', 'ocial', 'OCIAL'].some((w) => text.includes(w));
    for (const m of labelled ? matchesOf(BARE, text) : []) {
      const d = m[1] as string;
      if (!valid(d.slice(0, 3), d.slice(3, 5), d.slice(5))) continue;
      const end = m.index + m[0].length;
      spans.push({ type: 'us_ssn', start: end - 9, end });
    }
    return spans.sort((a, b) => a.start - b.start);
  },
};
