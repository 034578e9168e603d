// The SageMaker runtime client factory, apart from aws-clients.ts so that a function loads the
// SageMaker runtime SDK only when it uses it (the router imports it on its first SageMaker call:
// inference.by-kind.ts).
import type { SageMakerRuntimeClientConfig } from '@aws-sdk/client-sagemaker-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DEFAULT_REQUEST_HANDLER } from './aws-clients.ts';

/**
 * A SageMaker runtime client for inference. One attempt: the router's plan owns retries and
 * fallbacks within its deadline, so SDK retries would only spend that deadline twice.
 */
export function createSageMakerRuntimeClient(
  config: SageMakerRuntimeClientConfig = {},
): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({ maxAttempts: 1, requestHandler: DEFAULT_REQUEST_HANDLER, ...config });
}
