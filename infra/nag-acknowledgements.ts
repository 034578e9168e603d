// cdk-nag AwsSolutions findings this app accepts, each with why, on the narrowest construct
// that owns it (CDK's `Validations.of(scope).acknowledge`). Everything else is fixed in the
// constructs: X-Ray on functions and state machines, a WAF web ACL, access logs, SSL-only and
// encrypted topics, DLQs. `npm run synth` runs the AwsSolutions pack (infra/app.ts); the infra
// test runs it on both compute modes and fails on any finding not listed here.
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { StatefulStack } from './stacks/stateful.stack.ts';
import type { StatelessStack } from './stacks/stateless.stack.ts';

export interface NagAcknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** Findings every function of the stack raises by design. */
export const STACK_ACKNOWLEDGEMENTS: readonly NagAcknowledgement[] = [
  {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      'The AWS-managed basic execution policy only lets a function write its own CloudWatch logs (CreateLogGroup, CreateLogStream, PutLogEvents); every other permission is an inline least-privilege grant.',
  },
  {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray trace upload and sampling (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and, with owned SageMaker endpoints, application-autoscaling:DescribeScalableTargets (rollout steps) support no resource-level permissions; the infra tests check no other statement has a wildcard resource.',
  },
  {
    id: 'AwsSolutions-L1',
    reason:
      'Functions pin nodejs22.x, the runtime the bundles target (esbuild node22) and the tests run on; moving to a newer runtime is a tested change of its own, not a drift.',
  },
];

/** A resource's logical id, as cdk-nag names it in findings. */
function logicalId(element: CfnElement): string {
  return Stack.of(element).resolve(element.logicalId) as string;
}

function ack(scope: IConstruct | undefined, id: string, reason: string): void {
  if (scope) Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledges the accepted findings on the app's two stacks. */
export function acknowledgeNagFindings(s: StatelessStack, stateful: StatefulStack): void {
  const bucket = stateful.usageArchive.bucket;
  const bucketId = logicalId(bucket.node.defaultChild as CfnElement);
  ack(
    bucket,
    'AwsSolutions-S1',
    'The usage archive is written only by the export function and read by billing; S3 server access logs would need a second bucket per deployment, and CloudTrail data events (account-level) are the audit trail for it.',
  );
  ack(
    s.usageExport,
    `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/usage/*]`,
    'The export function writes one object per day under the usage/ prefix of the archive bucket: the prefix is the narrowest resource for keys named by date.',
  );
  const apiKeysId = logicalId(stateful.tables.apiKeys.node.defaultChild as CfnElement);
  for (const [id, reason] of [
    [
      `AwsSolutions-IAM5[Resource::<${apiKeysId}.Arn>/index/*]`,
      'The admin API lists a tenant’s keys through the API keys table’s indexes; the grant is on that table’s indexes only.',
    ],
    [
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*]',
      'The admin API creates and disables API Gateway keys whose ids are generated at creation; API Gateway key ARNs cannot be known in advance.',
    ],
    [
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/usageplans/*/keys]',
      'The admin API attaches new keys to a tier’s usage plan; usage plan key ARNs are per key, known only at creation.',
    ],
    [
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/usageplans/*/keys/*]',
      'The admin API detaches a disabled key from its usage plan; usage plan key ARNs are per key, known only at creation.',
    ],
  ] as const)
    ack(s.adminApi, id, reason);

  for (const a of STACK_ACKNOWLEDGEMENTS) ack(s, a.id, a.reason);

  const api = s.consumerApi.api;
  ack(
    api,
    'AwsSolutions-APIG2',
    'Every handler validates its body with zod and answers an OpenAI-shaped 400 naming the field; an API Gateway request validator would answer first in its own shape, which OpenAI clients cannot read.',
  );
  ack(
    api,
    'AwsSolutions-COG4',
    'Consumer routes use the REQUEST authorizer (API keys stored as hashes, per-tenant usage plans); admin routes use IAM (SigV4) with a resource policy. Cognito user pools are not how API consumers or operators authenticate here.',
  );
  ack(
    api,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    "API Gateway's account-level role for writing access and execution logs to CloudWatch; the managed policy is the one API Gateway documents for it.",
  );
  const functionIds = s.node
    .findAll()
    .filter((c): c is CfnFunction => c instanceof CfnFunction)
    .map(logicalId);
  for (const machine of [s.jobWorkflow.stateMachine, s.rolloutWorkflow.stateMachine]) {
    ack(
      machine,
      'AwsSolutions-SF1',
      'State machines log ERROR level without execution data on purpose: ALL with data would write prompts, answers and webhook payloads to CloudWatch Logs. X-Ray tracing covers the rest.',
    );
    for (const id of functionIds)
      ack(
        machine.role,
        `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`,
        "CDK's lambda:InvokeFunction grant covers the step function's versions and aliases (`<function arn>:*`); the resources are the workflow's own functions only.",
      );
  }
  const apiId = logicalId(api.node.defaultChild as CfnElement);
  ack(
    s.adminAccess.role,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/*/*/admin/*]`,
    'The admin role may call execute-api on /admin/* of this API only: the admin surface is a path prefix with many routes.',
  );
  const rolloutId = logicalId(s.rolloutWorkflow.stateMachine.node.defaultChild as CfnElement);
  ack(
    s.adminApi,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${rolloutId}"}]}]}:*]`,
    'The admin function describes and stops executions of the rollout state machine only; execution ARNs are not known in advance (`execution:<machine name>:*`).',
  );
  ack(
    s.rolloutWorkflow.stepFunction,
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:application-autoscaling:<AWS::Region>:<AWS::AccountId>:scalable-target/*]',
    "The rollout steps suspend and resume scale-in (RegisterScalableTarget) on the owned endpoints' scalable targets; a scalable target's ARN ends in an id AWS assigns, and no condition key names the resource id, so this account's and region's targets are the narrowest resource (the step only registers targets DescribeScalableTargets found for the rollout's endpoints).",
  );
  ack(
    s.routerCapacity?.capacityProvider,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator]',
    'The operator role Lambda assumes to launch and manage the capacity provider’s EC2 instances: AWS documents this managed policy for it and maintains it with the service.',
  );
}
