// Phone detector: the PII detector contract with its positives and hard negatives.
import { phoneDetector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(phoneDetector, {
  positives: [
    ...corpusPositives('phone'),
    'US ⟦phone:(800) 555-0100⟧ and ⟦phone:1 800 555 0100⟧',
    '8 digits is the least: ⟦phone:+49 30 9018⟧, 15 the most: ⟦phone:+123 4567 8901 2345⟧',
  ],
  negatives: [
    'ISBN 978-0-306-40615-7 and 978-3-16-148410-0',
    'Dates 2024-01-15 and 15.01.2024, time 10:30:45',
    'Version 1.2.3 and 10.0.19041.1',
    'Card 4111 1111 1111 1111 is a card',
    'Timestamp 1700000000000 and 1700000000',
    'Area code 123-555-0100 cannot start with 1',
    '+1 5 and +44 are too short, 7 digits +49 30 901 too; +1234567890123456 is too long',
    'Order 555-0100 and extension 4321',
    'part 415-555-01999 runs on',
    'SSN 219-45-6789',
  ],
});
