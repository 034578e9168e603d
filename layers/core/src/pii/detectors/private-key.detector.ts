// Private key blocks in PEM form: `-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED ]PRIVATE KEY-----` to
// the matching END line (or, pasted cut short, to the end of its base-64 body). Hard negatives:
// public keys and certificates.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { matchesOf } from './boundaries.ts';

const BEGIN = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----/g;
/** The base-64 lines after a BEGIN line (up to a blank line or one of other text). */
const BODY = /(?:\r?\n[A-Za-z0-9+/=]+)*/y;

export const privateKeyDetector: PiiDetector = {
  type: 'private_key',
  detect(text) {
    if (!text.includes('-----BEGIN ')) return [];
    const spans: PiiSpan[] = [];
    for (const m of matchesOf(BEGIN, text)) {
      const endLine = `-----END ${m[1] ?? ''}PRIVATE KEY-----`;
      const at = text.indexOf(endLine, m.index + m[0].length);
      let end: number;
      if (at !== -1) end = at + endLine.length;
      else {
        BODY.lastIndex = m.index + m[0].length;
        BODY.exec(text);
        end = BODY.lastIndex;
      }
      spans.push({ type: 'private_key', start: m.index, end });
      BEGIN.lastIndex = end;
    }
    return spans;
  },
};
