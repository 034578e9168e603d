// Least-privilege SageMaker grants: actions on exactly the endpoints the registry file names,
// in the stack's own partition, region and account (endpoint ARNs use lower-case names).
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** `arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/<lower-cased name>` per name. */
export function sagemakerEndpointArns(scope: IConstruct, names: readonly string[]): string[] {
  const stack = Stack.of(scope);
  return names.map((name) =>
    stack.formatArn({
      service: 'sagemaker',
      resource: 'endpoint',
      resourceName: name.toLowerCase(),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    }),
  );
}

export const SAGEMAKER_INVOKE_ACTIONS = ['sagemaker:InvokeEndpoint'] as const;
/** The router also streams (InvokeEndpointWithResponseStream is its own IAM action). */
export const SAGEMAKER_STREAM_INVOKE_ACTIONS = [
  'sagemaker:InvokeEndpoint',
  'sagemaker:InvokeEndpointWithResponseStream',
] as const;
export const SAGEMAKER_PROBE_ACTIONS = ['sagemaker:DescribeEndpoint', 'sagemaker:InvokeEndpoint'] as const;

/**
 * Allows `grantee` the `actions` on the named endpoints. With no endpoints named, grants
 * nothing (an IAM statement needs at least one resource, and `*` would be too wide).
 */
export function grantSageMakerEndpoints(
  grantee: IGrantable & IConstruct,
  endpointNames: readonly string[],
  actions: readonly string[],
): void {
  if (endpointNames.length === 0) return;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: [...actions], resources: sagemakerEndpointArns(grantee, endpointNames) }),
  );
}
