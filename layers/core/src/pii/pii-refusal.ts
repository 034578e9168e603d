// The 400 of a request whose policy refuses personal data: OpenAI's error shape, naming the
// types and counts found (never a value); and the 503 of a tenant whose setting cannot be read.
import { type ErrorOptions, InvalidRequestError, SwitchyardError } from '../errors.ts';
import { describeCounts } from './detect.ts';
import type { PiiCounts } from './pii.types.ts';

export class PersonalDataRefusedError extends InvalidRequestError {
  constructor(counts: PiiCounts, source: string) {
    super(
      `The request contains personal data (${describeCounts(counts) || 'unscanned content'}) and the ${source} refuses it: remove it, or use a policy that classifies or redacts it.`,
      { code: 'personal_data_refused' },
    );
  }
}

/** The tenant's `pii_action` could not be read: not served under a guessed, maybe laxer, action. */
export class PrivacyUnavailableError extends SwitchyardError {
  constructor(
    message = "The tenant's privacy settings are unavailable; retry shortly.",
    options: ErrorOptions = {},
  ) {
    super(message, 503, 'service_unavailable', {
      code: 'privacy_unavailable',
      ...options,
      headers: { 'retry-after': '1' },
    });
  }
}
