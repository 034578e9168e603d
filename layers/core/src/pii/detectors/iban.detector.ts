// IBANs: a country code, two check digits and the country's BBAN length (ISO 13616's registry
// lengths), bare or in groups of four, with the mod-97 check of ISO 7064 holding. Upper case.
// Hard negatives: a digit changed (mod 97 fails), unknown countries, wrong lengths.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { matchesOf } from './boundaries.ts';

/** IBAN length per country (SWIFT's IBAN registry). */
const LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

const CANDIDATE = /(?<![A-Za-z0-9])([A-Z]{2})(\d{2})((?: ?[A-Z0-9]){11,30})/g;

/** ISO 7064 mod 97-10 over an IBAN without spaces: 1 means valid. */
export function ibanValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rest = (rest * 10 + (c - 48)) % 97;
    else rest = (rest * 100 + (c - 55)) % 97; // A=10 ... Z=35
  }
  return rest === 1;
}

export const ibanDetector: PiiDetector = {
  type: 'iban',
  detect(text) {
    if (!/[A-Z]{2}\d{2}/.test(text)) return [];
    const spans: PiiSpan[] = [];
    for (const m of matchesOf(CANDIDATE, text)) {
      const length = LENGTHS[m[1] as string];
      if (length === undefined) continue;
      // Take exactly the country's length of characters; the span must end at a group's end.
      const body = m[3] as string;
      let taken = 4;
      let end = m.index + 4;
      for (let i = 0; i < body.length && taken < length; i++) {
        end++;
        if (body[i] !== ' ') taken++;
      }
      if (taken < length) continue;
      const next = text.charCodeAt(end);
      const wordAfter =
        (next >= 48 && next <= 57) || (next >= 65 && next <= 90) || (next >= 97 && next <= 122);
      if (wordAfter) continue;
      const compact = text.slice(m.index, end).replaceAll(' ', '');
      if (!ibanValid(compact)) continue;
      spans.push({ type: 'iban', start: m.index, end });
      CANDIDATE.lastIndex = end;
    }
    return spans;
  },
};
