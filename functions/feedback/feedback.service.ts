// `POST /v1/feedback`: a consumer scores one of its own answers (`request_id` is the answer's
// x-request-id): a score 0..1 or thumbs up/down, an optional label and comment. Joined onto the
// request's decision record, once: a repeat gets the feedback first given (idempotent per
// request id). Another tenant's request id, or an unknown one, is a 404 either way.
import type { Caller } from '@switchyard/adapters/lambda';
import { parseInput } from '@switchyard/adapters/lambda';
import type { DecisionLog } from '@switchyard/core';
import { FeedbackBodySchema, feedbackOf, NotFoundError } from '@switchyard/core';

export interface FeedbackDeps {
  log: DecisionLog;
  now: () => number;
}

export class FeedbackService {
  constructor(private readonly deps: FeedbackDeps) {}

  async give(body: unknown, caller: Caller): Promise<Record<string, unknown>> {
    const parsed = parseInput(FeedbackBodySchema, body);
    const result = await this.deps.log.addFeedback(
      caller.tenant,
      parsed.request_id,
      feedbackOf(parsed, this.deps.now()),
    );
    if (result.status === 'not-found') {
      throw new NotFoundError(`No request "${parsed.request_id}" of yours to give feedback on.`, {
        param: 'request_id',
      });
    }
    const { at, ...feedback } = result.feedback;
    return {
      object: 'feedback',
      request_id: parsed.request_id,
      ...feedback,
      created_at: Math.floor(at / 1000),
      duplicate: result.status === 'duplicate',
    };
  }
}
