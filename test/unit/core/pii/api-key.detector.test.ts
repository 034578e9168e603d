// API key detector: the PII detector contract with its positives and hard negatives.
import { apiKeyDetector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(apiKeyDetector, {
  positives: [...corpusPositives('api_key'), 'pk ⟦api_key:pk_test_TYooMQauvdEDq54NiTphI7jx⟧'],
  negatives: [
    'scikit sk-learn, task-force, risk-free',
    'sk-this-is-just-words-here-and-more-words',
    'sk-12345678901234567890 has no letters',
    'sk-abc is short',
    'AIza alone and AIzaShort',
    'xoxb- alone',
    'sk_live_ with nothing',
  ],
});
