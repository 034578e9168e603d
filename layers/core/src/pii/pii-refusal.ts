// The 400 of a request whose policy refuses personal data: OpenAI's error shape, naming the
// types and counts found (never a value).
import { InvalidRequestError } from '../errors.ts';
import { describeCounts } from './detect.ts';
import type { PiiCounts } from './pii.types.ts';

export class PersonalDataRefusedError extends InvalidRequestError {
  override name = 'PersonalDataRefusedError';
  constructor(
    counts: PiiCounts,
    source: string,
    reason = 'refuses it: remove it, or use a policy that classifies or redacts it.',
  ) {
    super(
      `The request contains personal data (${describeCounts(counts) || 'unscanned content'}) and the ${source} ${reason}`,
      { code: 'personal_data_refused' },
    );
  }
}
