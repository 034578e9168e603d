// All detectors together: overlapping findings become one span typed by the detector listed
// first (nothing is redacted by half), a phone number stops before the next number, counts.
import { describe, expect, it } from 'vitest';
import { countPii, describeCounts, detectPii } from '../../../../layers/core/src/index.ts';

const found = (text: string) => detectPii(text).map((s) => [s.type, text.slice(s.start, s.end)]);

describe('detectPii', () => {
  it('stops an international number before the next number', () => {
    expect(found('+44 20 7946 0958 4111 1111 1111 1111')).toEqual([
      ['phone', '+44 20 7946 0958'],
      ['payment_card', '4111 1111 1111 1111'],
    ]);
    expect(found('+44 20 7946 0958 219-45-6789')).toEqual([
      ['phone', '+44 20 7946 0958'],
      ['us_ssn', '219-45-6789'],
    ]);
  });

  it('merges overlapping findings into one span of the type listed first', () => {
    // The phone pattern takes "4111" (15 digits in all); the card starts inside it.
    expect(found('+1 415 555 0132 4111 1111 1111 1111')).toEqual([
      ['payment_card', '+1 415 555 0132 4111 1111 1111 1111'],
    ]);
  });

  it('reads a token in a URL user part as a token, not an address', () => {
    const token = 'ghp_R4nD0mT0k3nV4lu3F0rT3st1ng0123456789';
    expect(found(`https://${token}@github.com/o/r`)).toEqual([['github_token', token]]);
  });

  it('counts per type and says counts in words, sorted by type', () => {
    const spans = detectPii('a@example.com, b@example.com, 219-45-6789');
    expect(countPii(spans)).toEqual({ email: 2, us_ssn: 1 });
    expect(describeCounts({ us_ssn: 1, email: 2, ipv4: 0 })).toBe('2 email, 1 us_ssn');
    expect(describeCounts({})).toBe('');
  });
});
