// JWT detector: the PII detector contract with its positives and hard negatives.
import { jwtDetector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(jwtDetector, {
  positives: corpusPositives('jwt'),
  negatives: [
    'eyJ alone, and a header eyJhbGciOiJIUzI1NiJ9 alone',
    'Two parts eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0',
    'Payload not JSON eyJhbGciOiJIUzI1NiJ9.abcdefghijkl.signature',
    'Four parts eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig.more',
  ],
});
