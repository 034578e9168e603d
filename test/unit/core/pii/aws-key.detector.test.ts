// AWS key detector: the PII detector contract with its positives and hard negatives.
import { awsKeyDetector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(awsKeyDetector, {
  positives: [...corpusPositives('aws_key'), 'role key ⟦aws_key:AROAXYZ234567ABCDEFG⟧'],
  negatives: [
    'Prefixes alone: AKIA, AKIA123 and AKIAIOSFODNN7 are short',
    'Lower case akiaiosfodnn7example',
    'Not base 32: AKIAIOSFODNN0EXAMPLE1 and AKIAIOSFODNN1EXAMPLE',
    'Embedded XAKIAIOSFODNN7EXAMPLE',
    'A bare 40 characters wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY is a hash to us',
    'git sha da39a3ee5e6b4b0d3255bfef95601890afd80709',
  ],
});
