// IBAN detector: the PII detector contract with its positives and hard negatives, and the
// mod-97 check's literals.
import { describe, expect, it } from 'vitest';
import { ibanDetector, ibanValid } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(ibanDetector, {
  positives: [
    ...corpusPositives('iban'),
    'shortest (Norway) ⟦iban:NO9386011117947⟧ and longest (Saint Lucia) ⟦iban:LC55HEMM000100010012001200023015⟧',
    'followed by a word ⟦iban:GB82 WEST 1234 5698 7654 32⟧ EUR',
  ],
  negatives: [
    'Check digits off: DE89370400440532013001 and GB82WEST12345698765433',
    'No such country XX89370400440532013000',
    'Too short DE8937040044053201300 and too long DE893704004405320130001',
    'lower case de89370400440532013000',
    'Codes DE12, FR76 and AB12CD34EF56',
    'Embedded XDE89370400440532013000',
  ],
});

describe('ibanValid', () => {
  it('is ISO 7064 mod 97-10 over the rearranged IBAN', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('GB83WEST12345698765432')).toBe(false);
    expect(ibanValid('FR1420041010050500013M02606')).toBe(true);
    expect(ibanValid('FR1420041010050500013N02606')).toBe(false);
  });
});
