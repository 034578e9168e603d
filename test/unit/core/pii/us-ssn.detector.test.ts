// US SSN detector: the PII detector contract with its positives and hard negatives.
import { usSsnDetector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(usSsnDetector, {
  positives: [
    ...corpusPositives('us_ssn'),
    'area 899 is the last: ⟦us_ssn:899-12-3456⟧, group 99 ⟦us_ssn:001-99-0001⟧',
    'SSN#⟦us_ssn:536221234⟧',
  ],
  negatives: [
    'Area 000-12-3456, 666-12-3456 and 900-12-3456, 999-99-9999',
    'Group 219-00-1234 and serial 219-45-0000',
    'Never issued: 078-05-1120, 219-09-9999, 123-45-6789',
    'Mixed separators 219-45 6789 and 219 45-6789',
    'Nine bare digits 219456789 without a label',
    'Phone 415-555-0132, ZIP+4 94105-1234, date 2024-01-15',
    'ssn: 000456789 is not valid',
    'longer 1219-45-6789 and 219-45-67890',
  ],
});
