// IPv6 addresses: eight groups of 1-4 hex digits, or fewer with one `::`, optionally ending in
// a dotted IPv4; a compressed form needs two groups and a digit (so `Add::Face` in C++ is not
// one). Not personal: `::` and the loopback `::1`. Hard negatives: times (`10:30:45`), MAC
// addresses (six groups), ratios, `std::vector`.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { matchesOf } from './boundaries.ts';

const CANDIDATE =
  /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?![\w:]|\.\w)/g;
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
    if (!text.includes(':')) return [];
    const spans: PiiSpan[] = [];
    for (const m of matchesOf(CANDIDATE, text)) {
      const s = m[0];
      if (s === '::1' || !isIpv6(s)) continue;
      spans.push({ type: 'ipv6', start: m.index, end: m.index + s.length });
    }
    return spans;
  },
};
