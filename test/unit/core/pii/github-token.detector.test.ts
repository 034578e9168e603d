// GitHub token detector: the PII detector contract with its positives and hard negatives.
import { githubTokenDetector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(githubTokenDetector, {
  positives: [
    ...corpusPositives('github_token'),
    'refresh ⟦github_token:ghr_1B4a2e77838347a7E420ce178F2E7c6912E1⟧',
  ],
  negatives: [
    'Prefixes ghp_short and gho_ alone',
    'Unknown prefix ghx_R4nD0mT0k3nV4lu3F0rT3st1ng0123456789',
    'Embedded xghp_R4nD0mT0k3nV4lu3F0rT3st1ng0123456789',
    'github_pat_short',
  ],
});
