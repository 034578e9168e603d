// UK National Insurance numbers: two prefix letters (not D, F, I, Q, U or V; the second not O;
// not the unallocated BG, GB, KN, NK, NT, TN or ZZ), six digits, a suffix A-D, optionally in
// pairs (`QQ 12 34 56 C`). Upper case only: lower-case look-alikes are far more often codes.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { matchesOf } from './boundaries.ts';

const NINO =
  /(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/g;

export const ukNinoDetector: PiiDetector = {
  type: 'uk_nino',
  detect(text) {
    if (!/\d{2}/.test(text)) return [];
    const spans: PiiSpan[] = [];
    for (const m of matchesOf(NINO, text)) {
      // Spaces in pairs or not at all: `AB12 3456C` is some other code.
      const spaces = m[0].split(' ').length - 1;
      if (spaces === 0 || spaces === 4)
        spans.push({ type: 'uk_nino', start: m.index, end: m.index + m[0].length });
    }
    return spans;
  },
};
