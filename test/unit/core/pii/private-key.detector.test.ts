// Private key detector: the PII detector contract with its positives and hard negatives.
import { privateKeyDetector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(privateKeyDetector, {
  positives: [
    ...corpusPositives('private_key'),
    'cut short: ⟦private_key:-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC⟧\n\nthat was all',
    '⟦private_key:-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----⟧',
  ],
  negatives: [
    '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----',
    '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END CERTIFICATE-----',
    'the words BEGIN PRIVATE KEY without the dashes',
  ],
});
