// Payment card detector: the PII detector contract with its positives and hard negatives, and
// the Luhn check's literals.
import { describe, expect, it } from 'vitest';
import { luhnValid, paymentCardDetector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(paymentCardDetector, {
  positives: [
    ...corpusPositives('payment_card'),
    'Maestro 12 digits ⟦payment_card:501800000009⟧',
    'two cards ⟦payment_card:4111111111111111⟧, ⟦payment_card:5555555555554444⟧',
    'groups then an expiry ⟦payment_card:4111 1111 1111 1111⟧ 1227',
  ],
  negatives: [
    'Order number 4111 1111 1111 1112 and 5555-5555-5555-4445 fail Luhn',
    'ISBN-13 9780306406157 and 978-0-306-40615-7',
    'Timestamp 1700000000000 (ms) and 1700000000000000 (us)',
    'No issuer: 1234567890123452 and 9999999999999995',
    'Wrong length for Amex: 3782822463100051',
    'Mixed separators 4111-1111 1111-1111',
    'Decimals 4111111111111111.5 and 4,111111111111111',
    'Embedded x4111111111111111 and 41111111111111110',
  ],
});

describe('luhnValid', () => {
  it('accepts the check digit and nothing one off', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('79927398714')).toBe(false);
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('0')).toBe(true);
    expect(luhnValid('18')).toBe(true);
    expect(luhnValid('19')).toBe(false);
  });
});
