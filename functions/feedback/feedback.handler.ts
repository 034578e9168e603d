// `POST /v1/feedback`: the calling consumer's feedback on one of its answers (feedback.service.ts).
// Thin: the tenant comes from the authorizer, never from the body.
import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient, DynamoDbDecisionLog } from '@switchyard/adapters';
import { httpHandler, parseConfig, requireCaller } from '@switchyard/adapters/lambda';
import { NotFoundError, z } from '@switchyard/core';
import { FeedbackService } from './feedback.service.ts';

const config = parseConfig(z.object({ DECISIONS_TABLE: z.string().min(1) }));
const logger = new Logger({ serviceName: 'switchyard-feedback' });
const service = new FeedbackService({
  log: new DynamoDbDecisionLog({ client: createDocumentClient(), tableName: config.DECISIONS_TABLE }),
  now: Date.now,
});

export const handler = httpHandler(
  async (request) => {
    const caller = requireCaller(request);
    if (`${request.method} ${request.resource}` !== 'POST /v1/feedback') {
      throw new NotFoundError(`No route for ${request.method} ${request.path}.`);
    }
    return { status: 200, body: await service.give(request.body, caller) };
  },
  { logger },
);
