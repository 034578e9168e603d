// Personal data (issue 12): detectors, the scan of a request, reversible redaction and the
// privacy decision the router's privacy step applies.
export * from './detect.ts';
export * from './detectors/api-key.detector.ts';
export * from './detectors/aws-key.detector.ts';
export * from './detectors/email.detector.ts';
export * from './detectors/github-token.detector.ts';
export * from './detectors/iban.detector.ts';
export * from './detectors/ipv4.detector.ts';
export * from './detectors/ipv6.detector.ts';
export * from './detectors/jwt.detector.ts';
export * from './detectors/payment-card.detector.ts';
export * from './detectors/phone.detector.ts';
export * from './detectors/private-key.detector.ts';
export * from './detectors/uk-nino.detector.ts';
export * from './detectors/us-ssn.detector.ts';
export * from './medical-signals.ts';
export * from './pii.types.ts';
export * from './pii-action.ts';
export * from './pii-refusal.ts';
export * from './privacy.ts';
export * from './redaction.ts';
export * from './request-text.ts';
export * from './restore-stream.ts';
