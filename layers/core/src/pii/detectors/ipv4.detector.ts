// IPv4 addresses: four dotted decimal octets 0-255 without leading zeros, not part of a longer
// dotted run (OIDs, `1.2.3.4.5`) and not a version (`v1.2.3.4`, "version 10.0.0.1", "build").
// Not a person's address: loopback 127/8, masks (255.*), network and broadcast addresses (last
// octet 0 or 255, 0.0.0.0 among them) and CIDR ranges (`10.0.0.0/8`).
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { isDigitAt, matchesOf } from './boundaries.ts';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?!\\w|\\.\\d)`, 'g');
const VERSION_BEFORE = /(?:\bv|\bversions?\s*|\bver\.?\s*|\brelease\s*|\bbuild\s*|\bfirmware\s*)$/i;

export const ipv4Detector: PiiDetector = {
  type: 'ipv4',
  detect(text) {
    if (!text.includes('.')) return [];
    const spans: PiiSpan[] = [];
    for (const m of matchesOf(IPV4, text)) {
      const first = m[0].slice(0, m[0].indexOf('.'));
      const last = m[0].slice(m[0].lastIndexOf('.') + 1);
      if (first === '127' || first === '255' || last === '0' || last === '255') continue;
      if (text[m.index + m[0].length] === '/' && isDigitAt(text, m.index + m[0].length + 1)) continue;
      if (VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 12), m.index))) continue;
      spans.push({ type: 'ipv4', start: m.index, end: m.index + m[0].length });
    }
    return spans;
  },
};
