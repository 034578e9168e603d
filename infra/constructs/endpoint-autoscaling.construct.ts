// Application Auto Scaling for the SageMaker endpoints the registry marks as owned by the stack
// (`autoscaling:` on the endpoint): one scalable target per endpoint variant (its desired
// instance count between the registry's min and max) and a target-tracking policy on
// SageMakerVariantInvocationsPerInstance. Application Auto Scaling acts through its SageMaker
// service-linked role, so the stack creates no role. During a rollout, scale-in is suspended on
// these targets (README: "Endpoint autoscaling"), so a shifting traffic split never removes an
// instance the next step needs.
import { variantResourceId } from '@switchyard/core';
import { Duration, Stack } from 'aws-cdk-lib';
import {
  PredefinedMetric,
  ScalableTarget,
  ServiceNamespace,
  type TargetTrackingScalingPolicy,
} from 'aws-cdk-lib/aws-applicationautoscaling';
import { Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { OwnedEndpointScaling } from '../registry-file.loader.ts';

export interface EndpointAutoscalingProps {
  /** The owned endpoint variants, from the registry file. */
  readonly endpoints: readonly OwnedEndpointScaling[];
  /**
   * How long after a scale-in before another.
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * How long after a scale-out before another.
   * @default Duration.minutes(1)
   */
  readonly scaleOutCooldown?: Duration;
}

export class EndpointAutoscaling extends Construct {
  public readonly targets: readonly ScalableTarget[];
  public readonly policies: readonly TargetTrackingScalingPolicy[];

  constructor(scope: Construct, id: string, props: EndpointAutoscalingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const serviceLinkedRole = Role.fromRoleArn(
      this,
      'ServiceLinkedRole',
      stack.formatArn({
        service: 'iam',
        region: '',
        resource: 'role',
        resourceName:
          'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
      }),
    );
    const targets: ScalableTarget[] = [];
    const policies: TargetTrackingScalingPolicy[] = [];
    props.endpoints.forEach((e, i) => {
      const target = new ScalableTarget(this, `Target${i}`, {
        serviceNamespace: ServiceNamespace.SAGEMAKER,
        resourceId: variantResourceId(e.endpointName, e.variant),
        scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        minCapacity: e.min_instances,
        maxCapacity: e.max_instances,
        role: serviceLinkedRole,
      });
      policies.push(
        target.scaleToTrackMetric('InvocationsPerInstance', {
          predefinedMetric: PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
          targetValue: e.target_invocations_per_instance,
          scaleInCooldown: props.scaleInCooldown ?? Duration.minutes(5),
          scaleOutCooldown: props.scaleOutCooldown ?? Duration.minutes(1),
        }),
      );
      targets.push(target);
    });
    this.targets = targets;
    this.policies = policies;
  }
}
