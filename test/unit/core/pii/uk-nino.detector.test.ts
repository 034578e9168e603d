// UK NINO detector: the PII detector contract with its positives and hard negatives.
import { ukNinoDetector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(ukNinoDetector, {
  positives: [...corpusPositives('uk_nino'), 'suffix D: ⟦uk_nino:ZY 65 43 21 D⟧'],
  negatives: [
    'First letter D: DA123456A; second letter O: AO123456A',
    'Unallocated prefixes BG123456A, GB123456A, NK123456A, TN123456A, ZZ123456A',
    'Suffix E: AB123456E',
    'Odd spacing AB 123456 C and AB12 3456C',
    'lower case ab123456c',
    'Embedded XAB123456C and AB123456CX',
  ],
});
