// Every detector over one text: the spans of all types, in order and never overlapping (where
// two overlap they become one span over both, typed by the detector listed first: credentials,
// then the checksum-verified types, then the looser patterns).
import { apiKeyDetector } from './detectors/api-key.detector.ts';
import { awsKeyDetector } from './detectors/aws-key.detector.ts';
import { emailDetector } from './detectors/email.detector.ts';
import { githubTokenDetector } from './detectors/github-token.detector.ts';
import { ibanDetector } from './detectors/iban.detector.ts';
import { ipv4Detector } from './detectors/ipv4.detector.ts';
import { ipv6Detector } from './detectors/ipv6.detector.ts';
import { jwtDetector } from './detectors/jwt.detector.ts';
import { paymentCardDetector } from './detectors/payment-card.detector.ts';
import { phoneDetector } from './detectors/phone.detector.ts';
import { privateKeyDetector } from './detectors/private-key.detector.ts';
import { ukNinoDetector } from './detectors/uk-nino.detector.ts';
import { usSsnDetector } from './detectors/us-ssn.detector.ts';
import type { PiiCounts, PiiDetector, PiiSpan } from './pii.types.ts';

export const PII_DETECTORS: readonly PiiDetector[] = [
  privateKeyDetector,
  jwtDetector,
  awsKeyDetector,
  githubTokenDetector,
  apiKeyDetector,
  emailDetector,
  ibanDetector,
  paymentCardDetector,
  usSsnDetector,
  ukNinoDetector,
  ipv6Detector,
  ipv4Detector,
  phoneDetector,
];

/** The spans of every detector in `text`, sorted, overlaps resolved. */
export function detectPii(text: string, detectors: readonly PiiDetector[] = PII_DETECTORS): PiiSpan[] {
  const all: Array<PiiSpan & { rank: number }> = [];
  detectors.forEach((d, rank) => {
    for (const s of d.detect(text)) all.push({ ...s, rank });
  });
  if (all.length === 0) return [];
  all.sort((a, b) => a.start - b.start || b.end - a.end || a.rank - b.rank);
  const kept: Array<PiiSpan & { rank: number }> = [];
  for (const span of all) {
    // Overlapping the last kept span: one span over both, typed by the detector listed first
    // (a number running into the next one is redacted whole, never half).
    const last = kept.at(-1);
    if (last && span.start < last.end) {
      last.end = Math.max(last.end, span.end);
      if (span.rank < last.rank) {
        last.type = span.type;
        last.rank = span.rank;
      }
      continue;
    }
    kept.push({ ...span });
  }
  return kept.map(({ type, start, end }) => ({ type, start, end }));
}

/** Spans counted per type. */
export function countPii(spans: readonly PiiSpan[], into: PiiCounts = {}): PiiCounts {
  for (const s of spans) into[s.type] = (into[s.type] ?? 0) + 1;
  return into;
}

/** `3 email, 1 payment_card`: counts as words (what errors and headers say; never values). */
export function describeCounts(counts: PiiCounts): string {
  return Object.entries(counts)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([type, n]) => `${n} ${type}`)
    .join(', ');
}
