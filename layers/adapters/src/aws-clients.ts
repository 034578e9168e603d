// Factories for the AWS SDK clients the adapters take, with production settings. They read no
// environment themselves (the SDK reads AWS_REGION and AWS_ENDPOINT_URL_* on its own); handlers
// call them once at module scope so connections are reused across invocations.

import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { SageMakerRuntimeClientConfig } from '@aws-sdk/client-sagemaker-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { SFNClientConfig } from '@aws-sdk/client-sfn';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClientConfig } from '@aws-sdk/client-sqs';
import { SQSClient } from '@aws-sdk/client-sqs';
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

/**
 * An SQS client. `useQueueUrlAsEndpoint: false` sends to the configured endpoint rather than the
 * queue URL's host (needed for local SQS servers whose queue URLs do not resolve; harmless in AWS).
 */
export function createSqsClient(config: SQSClientConfig = {}): SQSClient {
  return new SQSClient({
    maxAttempts: 3,
    useQueueUrlAsEndpoint: false,
    requestHandler: DEFAULT_REQUEST_HANDLER,
    ...config,
  });
}

/**
 * A SageMaker runtime client for inference. One attempt: the router's plan owns retries and
 * fallbacks within its deadline, so SDK retries would only spend that deadline twice.
 */
export function createSageMakerRuntimeClient(
  config: SageMakerRuntimeClientConfig = {},
): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({ maxAttempts: 1, requestHandler: DEFAULT_REQUEST_HANDLER, ...config });
}

/** A SageMaker control-plane client (DescribeEndpoint for health probes). */
export function createSageMakerClient(config: SageMakerClientConfig = {}): SageMakerClient {
  return new SageMakerClient({ maxAttempts: 2, requestHandler: DEFAULT_REQUEST_HANDLER, ...config });
}

/** A Step Functions client (StartExecution from the async worker). */
export function createSfnClient(config: SFNClientConfig = {}): SFNClient {
  return new SFNClient({ maxAttempts: 3, requestHandler: DEFAULT_REQUEST_HANDLER, ...config });
}
