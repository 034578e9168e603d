// Factories for the data-path AWS SDK clients (DynamoDB here, the SageMaker runtime in
// aws-clients.sagemaker.ts, which the router loads on its first SageMaker call), with production
// settings; the control-plane ones (SQS, Step Functions, SageMaker) are in aws-clients.control.ts,
// so the router loads none of them. They read no
// environment themselves (the SDK reads AWS_REGION and AWS_ENDPOINT_URL_* on its own); handlers
// call them once at module scope so connections are reused across invocations.

import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Keep-alive connection pools and a short connect timeout: a Lambda reuses its sockets. */
export const DEFAULT_REQUEST_HANDLER = {
  connectionTimeout: 3_000,
  httpAgent: { keepAlive: true, maxSockets: 128 },
  httpsAgent: { keepAlive: true, maxSockets: 128 },
} as const;

/**
 * A DynamoDB DocumentClient: undefined values dropped, class instances written as maps, SDK
 * retries (3 attempts) for throttling and transient errors.
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ maxAttempts: 3, requestHandler: DEFAULT_REQUEST_HANDLER, ...config });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });
}
