// AWS credentials: access key ids (`AKIA`, `ASIA` and the other IAM unique-id prefixes, then 16
// base-32 characters) and secret access keys (40 base-64 characters) where a name says so
// (`aws_secret_access_key = ...`, `SecretAccessKey: ...`): a bare 40-character string is too
// often a hash to call a secret. Hard negatives: git SHAs, short look-alikes.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { matchesOf } from './boundaries.ts';

const KEY_ID =
  /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z2-7]{16}(?![A-Za-z0-9])/g;
const SECRET =
  /(?:aws_?secret(?:_?access)?_?key|secret_?access_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi;

export const awsKeyDetector: PiiDetector = {
  type: 'aws_key',
  detect(text) {
    const spans: PiiSpan[] = [];
    if (text.includes('A')) {
      for (const m of matchesOf(KEY_ID, text))
        spans.push({ type: 'aws_key', start: m.index, end: m.index + 20 });
    }
    const named = ['ecret', 'ECRET'].some((w) => text.includes(w));
    for (const m of named ? matchesOf(SECRET, text) : []) {
      const end = m.index + m[0].length;
      spans.push({ type: 'aws_key', start: end - 40, end });
    }
    return spans.sort((a, b) => a.start - b.start);
  },
};
