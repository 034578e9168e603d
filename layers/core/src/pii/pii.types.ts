// Personal data in request text (issue 12): the types of personal data and credentials the
// detectors find, the typed span each finding is, and the one interface every detector
// implements (one file each in detectors/, all run by one contract suite).

/** What a span is. Its placeholder label is the type in upper case (`[EMAIL_1]`). */
export const PII_TYPES = [
  'email',
  'phone',
  'us_ssn',
  'uk_nino',
  'payment_card',
  'iban',
  'ipv4',
  'ipv6',
  'aws_key',
  'api_key',
  'github_token',
  'private_key',
  'jwt',
] as const;
export type PiiType = (typeof PII_TYPES)[number];

/** One finding: `text.slice(start, end)` is personal data of `type`. */
export interface PiiSpan {
  type: PiiType;
  start: number;
  end: number;
}

/** Finds one type of personal data in a text. Pure, synchronous, no state between calls. */
export interface PiiDetector {
  readonly type: PiiType;
  /** Every span of this type in `text`, in order, none overlapping. */
  detect(text: string): PiiSpan[];
}

/** Findings counted per type (what explanations, headers and errors may show: never values). */
export type PiiCounts = Partial<Record<PiiType, number>>;
