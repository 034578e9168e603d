// JSON Web Tokens (JWS compact form): a base64url header and payload that both open a JSON
// object (`eyJ` is `{"`), and a signature (empty for `alg: none`). Hard negatives: `eyJ` alone,
// two-part strings, dotted identifiers.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { matchesOf } from './boundaries.ts';

const JWT = /(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*(?![\w-]|\.[\w-])/g;

export const jwtDetector: PiiDetector = {
  type: 'jwt',
  detect(text) {
    if (!text.includes('eyJ')) return [];
    const spans: PiiSpan[] = [];
    for (const m of matchesOf(JWT, text))
      spans.push({ type: 'jwt', start: m.index, end: m.index + m[0].length });
    return spans;
  },
};
