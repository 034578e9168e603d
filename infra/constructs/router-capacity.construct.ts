// Lambda Managed Instances for the router: a capacity provider (Graviton EC2 instances that
// Lambda runs and scales in the stack's own VPC) with the router function attached, so one
// execution environment serves many requests at once and the router's wait on models is paid
// as instance-hours, not as duration. The VPC gets a DynamoDB gateway endpoint (table traffic
// stays off the NAT gateway) and a NAT gateway for the model endpoints (SageMaker runtime, GPU
// servers on the internet). Standard Lambda stays the stack's default; this is opt-in.
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InstanceType,
  type IVpc,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import {
  Architecture,
  CapacityProvider,
  type IFunction,
  InstanceTypeFilter,
  ScalingOptions,
  TargetTrackingScalingPolicy,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** How the router runs: standard Lambda (scale to zero) or Lambda Managed Instances. */
export type RouterCompute = 'standard' | 'managed-instances';
export const ROUTER_COMPUTE_MODES: readonly RouterCompute[] = ['standard', 'managed-instances'];

export interface RouterCapacityProps {
  /** The router function to run on the capacity provider. */
  readonly router: IFunction;
  /**
   * The VPC the instances run in (private subnets with egress are used).
   * @default - a new VPC: 2 AZs, public and private subnets, 1 NAT gateway, DynamoDB gateway endpoint
   */
  readonly vpc?: IVpc;
  /**
   * EC2 instance types the provider may launch (Graviton: the router is built for arm64).
   * @default ['c7g.large', 'c7g.xlarge', 'm7g.large']
   */
  readonly instanceTypes?: readonly string[];
  /**
   * The most vCPUs the provider scales to (12 to 15,000).
   * @default 64
   */
  readonly maxVCpuCount?: number;
  /**
   * CPU utilisation the provider keeps its instances at.
   * @default 50
   */
  readonly targetCpuUtilization?: number;
  /**
   * Concurrent requests one execution environment serves (Node.js default is 64 per vCPU).
   * @default 64
   */
  readonly perEnvironmentMaxConcurrency?: number;
  /**
   * Execution environments kept running, and the most allowed.
   * @default { min: 3, max: 60 }
   */
  readonly environments?: { readonly min: number; readonly max: number };
}

export class RouterCapacity extends Construct {
  public readonly vpc: IVpc;
  public readonly securityGroup: SecurityGroup;
  public readonly capacityProvider: CapacityProvider;

  constructor(scope: Construct, id: string, props: RouterCapacityProps) {
    super(scope, id);
    this.vpc =
      props.vpc ??
      new Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: 1,
        subnetConfiguration: [
          { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'instances', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        ],
        gatewayEndpoints: { DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB } },
        // Rejected connections only: enough to debug a security group, cheap at volume.
        flowLogs: {
          Rejected: {
            destination: FlowLogDestination.toCloudWatchLogs(
              new LogGroup(this, 'FlowLogs', { retention: RetentionDays.ONE_MONTH }),
            ),
            trafficType: FlowLogTrafficType.REJECT,
          },
        },
      });
    this.securityGroup = new SecurityGroup(this, 'Instances', {
      vpc: this.vpc,
      description: 'Switchyard router managed instances: outbound HTTPS to AWS APIs and model endpoints',
      allowAllOutbound: true,
    });
    this.capacityProvider = new CapacityProvider(this, 'Provider', {
      subnets: this.vpc.selectSubnets({ subnetType: SubnetType.PRIVATE_WITH_EGRESS }).subnets,
      securityGroups: [this.securityGroup],
      architectures: [Architecture.ARM_64],
      instanceTypeFilter: InstanceTypeFilter.allow(
        (props.instanceTypes ?? ['c7g.large', 'c7g.xlarge', 'm7g.large']).map((t) => new InstanceType(t)),
      ),
      maxVCpuCount: props.maxVCpuCount ?? 64,
      scalingOptions: ScalingOptions.manual([
        TargetTrackingScalingPolicy.cpuUtilization(props.targetCpuUtilization ?? 50),
      ]),
    });
    const environments = props.environments ?? { min: 3, max: 60 };
    this.capacityProvider.addFunction(props.router, {
      perExecutionEnvironmentMaxConcurrency: props.perEnvironmentMaxConcurrency ?? 64,
      executionEnvironmentMemoryGiBPerVCpu: 2,
      // Each deployment republishes $LATEST.PUBLISHED, which unqualified invocations (API Gateway's) run.
      publishToLatestPublished: true,
      latestPublishedScalingConfig: {
        minExecutionEnvironments: environments.min,
        maxExecutionEnvironments: environments.max,
      },
    });
  }
}

/** Parses the `switchyard:routerCompute` context value. */
export function routerComputeFrom(value: unknown): RouterCompute {
  if (value === undefined || value === null || value === '') return 'standard';
  if (value === 'standard' || value === 'managed-instances') return value;
  throw new Error(
    `switchyard:routerCompute must be one of ${ROUTER_COMPUTE_MODES.join(', ')}; got ${String(value)}`,
  );
}
