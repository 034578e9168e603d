// E-mail detector: the PII detector contract with its positives and hard negatives.
import { emailDetector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(emailDetector, {
  positives: [
    ...corpusPositives('email'),
    'trailing dot: ⟦email:ops@example.com⟧.',
    "quoted '⟦email:q@example.net⟧' and ⟦email:r.s@example.org⟧",
    'long tld ⟦email:a@b.example.museum⟧',
    `a 64-character local part ⟦email:${'a'.repeat(64)}@example.com⟧`,
  ],
  negatives: [
    'The icon is logo@2x.png and hero@3x.jpg, sprite@1x.svg',
    'Install lodash@4.17.21 or @scope/pkg@1.2.3',
    'Thanks @jane and @bob-smith',
    'user@localhost and root@server',
    'a..b@example.com has a doubled dot',
    '.lead@ and trail@. and @ alone',
    'jane dot doe at example dot com',
    'numbers@123.456',
    `a 65-character local part ${'a'.repeat(65)}@example.com`,
  ],
});
