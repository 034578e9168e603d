// The router on Lambda Managed Instances (`-c switchyard:routerCompute=managed-instances`): a
// capacity provider on Graviton instances in the stack's VPC, the router attached with 64
// concurrent requests per environment and $LATEST.PUBLISHED republished on deploy; every other
// function stays standard. Without the context nothing of it exists.
import { describe, expect, it } from 'vitest';
import { routerComputeFrom } from '../../infra/constructs/router-capacity.construct.ts';
import { functionByEntry, props, render, resources, synthApp, token } from './template.helpers.ts';

const ROUTER = 'functions/router/router.handler.ts';
const managed = synthApp(undefined, { 'switchyard:routerCompute': 'managed-instances' }).statelessTemplate;

describe('managed-instances mode', () => {
  const providers = resources(managed, 'AWS::Lambda::CapacityProvider');
  const [[providerId, provider]] = providers as [[string, Parameters<typeof props>[0]]];

  it('has one capacity provider: arm64, three Graviton types, CPU target 50%, at most 64 vCPUs', () => {
    expect(providers).toHaveLength(1);
    const p = props(provider);
    expect(p.InstanceRequirements).toEqual({
      AllowedInstanceTypes: ['c7g.large', 'c7g.xlarge', 'm7g.large'],
      Architectures: ['arm64'],
    });
    expect(p.CapacityProviderScalingConfig).toEqual({
      MaxVCpuCount: 64,
      ScalingMode: 'Manual',
      ScalingPolicies: [
        { PredefinedMetricType: 'LambdaCapacityProviderAverageCPUUtilization', TargetValue: 50 },
      ],
    });
  });

  it('runs the instances in the two private subnets, behind its own security group', () => {
    const vpc = props(provider).VpcConfig as { SubnetIds: unknown[]; SecurityGroupIds: unknown[] };
    const subnets = vpc.SubnetIds.map((s) => render(s as never));
    expect(subnets).toHaveLength(2);
    for (const s of subnets)
      expect(s).toMatch(/^\$\{RouterCapacityVpcinstancesSubnet[12]Subnet[0-9A-F]{8}\}$/);
    expect(vpc.SecurityGroupIds.map((s) => render(s as never))).toEqual([
      expect.stringMatching(/^\$\{RouterCapacityInstances[0-9A-F]{8}\.GroupId\}$/),
    ]);
  });

  it('the VPC has one NAT gateway and a DynamoDB gateway endpoint', () => {
    expect(resources(managed, 'AWS::EC2::NatGateway')).toHaveLength(1);
    const endpoints = resources(managed, 'AWS::EC2::VPCEndpoint').map(([, r]) =>
      render(props(r).ServiceName),
    );
    expect(endpoints).toEqual([`com.amazonaws.${token('AWS::Region')}.dynamodb`]);
  });

  it('attaches the router: 64 concurrent per environment, 2 GiB per vCPU, 3 to 60 environments, 2048 MB', () => {
    const { fn } = functionByEntry(managed, ROUTER);
    const p = props(fn);
    expect(p.CapacityProviderConfig).toEqual({
      LambdaManagedInstancesCapacityProviderConfig: {
        CapacityProviderArn: { 'Fn::GetAtt': [providerId, 'Arn'] },
        PerExecutionEnvironmentMaxConcurrency: 64,
        ExecutionEnvironmentMemoryGiBPerVCpu: 2,
      },
    });
    expect(p.PublishToLatestPublished).toBe(true);
    expect(p.FunctionScalingConfig).toEqual({ MinExecutionEnvironments: 3, MaxExecutionEnvironments: 60 });
    expect(p.MemorySize).toBe(2048);
    expect((p.Environment as { Variables: Record<string, unknown> }).Variables.METRICS_FLUSH_MS).toBe('1000');
  });

  it('leaves every other function on standard Lambda', () => {
    const attached = resources(managed, 'AWS::Lambda::Function')
      .filter(([, r]) => props(r).CapacityProviderConfig !== undefined)
      .map(([, r]) => r.Metadata?.['switchyard:entry']);
    expect(attached).toEqual([ROUTER]);
  });
});

describe('the default', () => {
  it('is standard Lambda: no value, an empty string', () => {
    expect(routerComputeFrom(undefined)).toBe('standard');
    expect(routerComputeFrom('')).toBe('standard');
    expect(routerComputeFrom('standard')).toBe('standard');
    expect(routerComputeFrom('managed-instances')).toBe('managed-instances');
  });
  it('refuses an unknown mode by name', () => {
    expect(() => routerComputeFrom('provisioned')).toThrow(
      'switchyard:routerCompute must be one of standard, managed-instances; got provisioned',
    );
  });
});
