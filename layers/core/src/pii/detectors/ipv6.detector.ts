// IPv6 addresses: eight groups of 1-4 hex digits, or fewer with one `::`, optionally ending in
// a dotted IPv4; a compressed form needs two groups and a digit (so `Add::Face` in C++ is not
// one). Not personal: `::` and the loopback (`::1`, `::ffff:127.0.0.1`). Hard negatives: times (`10:30:45`), MAC
// addresses (six groups), ratios, `std::vector`.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { isWordAt } from './boundaries.ts';

/** Characters of an address: hex digits, `:` and `.` (an embedded IPv4). */
const isAddressChar = (c: number): boolean =>
  (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const IPV4_TAIL = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function isIpv6(s: string): boolean {
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const parse = (part: string): string[] | undefined => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0] as string);
  const tail = halves.length === 2 ? parse(halves[1] as string) : [];
  if (!head || !tail) return false;
  const groups = [...head, ...tail];
  let width = groups.length;
  const last = groups.at(-1);
  if (last?.includes('.')) {
    if (!IPV4_TAIL.test(last)) return false;
    groups.pop();
    width++;
  }
  if (!groups.every((g) => HEX_GROUP.test(g))) return false;
  if (halves.length === 1) return width === 8;
  return width >= 2 && width < 8 && /\d/.test(s);
}

export const ipv6Detector: PiiDetector = {
  type: 'ipv6',
  detect(text) {
    const spans: PiiSpan[] = [];
    // From each `:` outwards over address characters (no pattern runs over text without one).
    let from = 0;
    for (let colon = text.indexOf(':', from); colon !== -1; colon = text.indexOf(':', from)) {
      let start = colon;
      while (start > 0 && isAddressChar(text.charCodeAt(start - 1))) start--;
      let end = colon + 1;
      while (end < text.length && isAddressChar(text.charCodeAt(end))) end++;
      from = end;
      // Sentence punctuation after it is not part of it; nor is a word it is glued to.
      while (end > colon + 1 && text[end - 1] === '.') end--;
      if (isWordAt(text, start - 1) || isWordAt(text, end)) continue;
      const s = text.slice(start, end);
      // Loopback, also as an IPv4-mapped or -compatible address, is nobody's.
      if (s === '::1' || /^::(?:ffff:)?127\./i.test(s) || !isIpv6(s)) continue;
      spans.push({ type: 'ipv6', start, end });
    }
    return spans;
  },
};
