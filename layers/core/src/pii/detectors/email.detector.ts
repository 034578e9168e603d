// E-mail addresses: found from each `@` outwards (no pattern runs over text without one), then
// checked: a local part of RFC 5322 atom characters without leading, trailing or doubled dots;
// a domain of LDH labels ending in an alphabetic top-level domain. Hard negatives: image names
// such as `icon@2x.png`, npm specifiers (`pkg@1.2.3`), `@mentions`, URL user parts.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';

const LOCAL = /^[A-Za-z0-9_%+'-]+(?:\.[A-Za-z0-9_%+'-]+)*$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD = /^[A-Za-z]{2,24}$/;
/** Top-level "domains" that are file extensions: `logo@2x.png` is a file, not an address. */
const FILE_EXTENSIONS = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'svg',
  'webp',
  'bmp',
  'ico',
  'tif',
  'tiff',
  'avif',
]);

/** Local parts of the characters people use (RFC 5322 allows more: `/`, `=`, `{`... in URLs and code). */
const isLocalChar = (c: number): boolean =>
  (c >= 48 && c <= 57) ||
  (c >= 65 && c <= 90) ||
  (c >= 97 && c <= 122) ||
  c === 46 ||
  c === 95 ||
  c === 37 ||
  c === 43 ||
  c === 45 ||
  c === 39;
const isDomainChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45;

export const emailDetector: PiiDetector = {
  type: 'email',
  detect(text) {
    const spans: PiiSpan[] = [];
    let from = 0;
    for (let at = text.indexOf('@', from); at !== -1; at = text.indexOf('@', from)) {
      from = at + 1;
      let start = at;
      while (start > 0 && at - start <= 64 && isLocalChar(text.charCodeAt(start - 1))) start--;
      let end = at + 1;
      while (end < text.length && end - at <= 254 && isDomainChar(text.charCodeAt(end))) end++;
      // A longer run is not one address (an address's parts are at most 64 and 253 characters).
      if (at - start > 64 || end - at > 254) continue;
      // Sentence punctuation after the address, and dots or quotes before it, are not part of it.
      while (end > at + 1 && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
      while (start < at && (text[start] === '.' || text[start] === "'" || text[start] === '`')) start++;
      if (start === at || end === at + 1) continue;
      // `https://user:token@host`: a URL's user part, not an address.
      if (text[start - 1] === '/' || text[start - 1] === ':') continue;
      const local = text.slice(start, at);
      const labels = text.slice(at + 1, end).split('.');
      const tld = labels.at(-1) as string;
      if (labels.length < 2) continue;
      if (!LOCAL.test(local) || !labels.every((l) => LABEL.test(l)) || !TLD.test(tld)) continue;
      if (FILE_EXTENSIONS.has(tld.toLowerCase())) continue;
      spans.push({ type: 'email', start, end });
      from = end;
    }
    return spans;
  },
};
