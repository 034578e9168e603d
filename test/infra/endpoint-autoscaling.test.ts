// SageMaker endpoint autoscaling from the registry file: one scalable target per owned endpoint
// variant (min/max from the registry, the SageMaker service-linked role, no role created) with a
// target-tracking policy on invocations per instance; endpoints without `autoscaling:` and HTTP
// endpoints get none; the loader refuses bad blocks by path.
import { describe, expect, it } from 'vitest';
import { sagemakerAutoscaling } from '../../infra/registry-file.loader.ts';
import { props, render, resources, synthApp, token } from './template.helpers.ts';

const template = synthApp('test/infra/fixtures/registry-autoscaling.yaml').statelessTemplate;
const targets = resources(template, 'AWS::ApplicationAutoScaling::ScalableTarget');
const policies = resources(template, 'AWS::ApplicationAutoScaling::ScalingPolicy');

describe('scalable targets', () => {
  it('one per owned endpoint variant, with the registry min and max', () => {
    expect(
      targets.map(([, t]) => {
        const p = props(t);
        return [p.ResourceId, p.MinCapacity, p.MaxCapacity, p.ScalableDimension, p.ServiceNamespace];
      }),
    ).toEqual([
      [
        'endpoint/switchyard-model-a/variant/AllTraffic',
        1,
        4,
        'sagemaker:variant:DesiredInstanceCount',
        'sagemaker',
      ],
      [
        'endpoint/switchyard-model-b/variant/blue',
        2,
        6,
        'sagemaker:variant:DesiredInstanceCount',
        'sagemaker',
      ],
    ]);
  });

  it("act through Application Auto Scaling's SageMaker service-linked role; the stack creates no role for them", () => {
    for (const [, t] of targets) {
      expect(render(props(t).RoleARN)).toBe(
        `arn:${token('AWS::Partition')}:iam::${token('AWS::AccountId')}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
      );
    }
    const roles = resources(template, 'AWS::IAM::Role').filter(([id]) =>
      id.startsWith('EndpointAutoscaling'),
    );
    expect(roles).toEqual([]);
  });
});

describe('scaling policies', () => {
  it('track invocations per instance at the registry target (default 100), scale in after 5 min, out after 1', () => {
    const byTarget = policies.map(([, p]) => {
      const cfg = props(p).TargetTrackingScalingPolicyConfiguration as Record<string, unknown>;
      return {
        target: render((props(p).ScalingTargetId as never) ?? null).replace(/[0-9A-F]{8}\}$/, '}'),
        type: props(p).PolicyType,
        cfg,
      };
    });
    expect(byTarget).toEqual([
      {
        target: token('EndpointAutoscalingTarget0'),
        type: 'TargetTrackingScaling',
        cfg: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
          TargetValue: 250,
          ScaleInCooldown: 300,
          ScaleOutCooldown: 60,
        },
      },
      {
        target: token('EndpointAutoscalingTarget1'),
        type: 'TargetTrackingScaling',
        cfg: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
          TargetValue: 100,
          ScaleInCooldown: 300,
          ScaleOutCooldown: 60,
        },
      },
    ]);
  });
});

describe('the loader', () => {
  const doc = (endpoint: Record<string, unknown>) => ({
    endpoints: [
      { id: 'e', model: 'm', version: 'v1', kind: 'sagemaker', target: 'ep-1', region: 'r', ...endpoint },
    ],
  });

  it('reads min, max, variant and target with defaults', () => {
    expect(sagemakerAutoscaling(doc({ autoscaling: { min_instances: 1, max_instances: 1 } }))).toEqual([
      {
        endpointName: 'ep-1',
        variant: 'AllTraffic',
        min_instances: 1,
        max_instances: 1,
        target_invocations_per_instance: 100,
      },
    ]);
    expect(sagemakerAutoscaling(doc({}))).toEqual([]);
  });

  it('refuses max below min, by path', () => {
    expect(() =>
      sagemakerAutoscaling(doc({ autoscaling: { min_instances: 3, max_instances: 2 } }), 'r.yaml'),
    ).toThrow('r.yaml: endpoints[0].autoscaling.max_instances: max_instances must be at least min_instances');
  });

  it('refuses autoscaling on an HTTP endpoint', () => {
    expect(() =>
      sagemakerAutoscaling(
        doc({
          kind: 'openai-http',
          target: 'http://x/v1',
          autoscaling: { min_instances: 1, max_instances: 2 },
        }),
        'r.yaml',
      ),
    ).toThrow('r.yaml: endpoints[0].autoscaling: only sagemaker endpoints scale here');
  });

  it('refuses the same endpoint variant scaled twice', () => {
    const twice = {
      endpoints: [0, 1].map((i) => ({
        ...doc({}).endpoints[0],
        id: `e${i}`,
        autoscaling: { min_instances: 1, max_instances: 2 },
      })),
    };
    expect(() => sagemakerAutoscaling(twice, 'r.yaml')).toThrow(
      'r.yaml: endpoints[1].autoscaling: ep-1/AllTraffic is scaled twice',
    );
  });
});
