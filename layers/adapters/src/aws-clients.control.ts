// Factories for the control-plane AWS SDK clients (SQS, Step Functions, the SageMaker control
// plane), with production settings: the functions that use them import them; the router does not.
// (Application Auto Scaling's is in scale-in.autoscaling.ts, behind its own subpath.)
import type { SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { SFNClientConfig } from '@aws-sdk/client-sfn';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClientConfig } from '@aws-sdk/client-sqs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_REQUEST_HANDLER } from './aws-clients.ts';

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

/** A SageMaker control-plane client (DescribeEndpoint for health probes). */
export function createSageMakerClient(config: SageMakerClientConfig = {}): SageMakerClient {
  return new SageMakerClient({ maxAttempts: 2, requestHandler: DEFAULT_REQUEST_HANDLER, ...config });
}

/** A Step Functions client (StartExecution from the async worker). */
export function createSfnClient(config: SFNClientConfig = {}): SFNClient {
  return new SFNClient({ maxAttempts: 3, requestHandler: DEFAULT_REQUEST_HANDLER, ...config });
}
