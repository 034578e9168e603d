// AWS public on-demand prices the cost model uses, us-east-1, as listed on the AWS pricing pages
// (aws.amazon.com/{api-gateway,lambda,dynamodb,sqs,step-functions,ec2,vpc}/pricing) on the date
// below. Tiered prices are listed per tier, cheapest last. Re-check before quoting a bill.

/** A tiered price: `upTo` units per month (cumulative) at `price` per unit; the last tier has no bound. */
export interface PriceTier {
  readonly upTo: number;
  readonly price: number;
}

export interface AwsPrices {
  readonly asOf: string;
  readonly region: string;
  /** REST API calls, per call, monthly tiers. */
  readonly restApiPerCall: readonly PriceTier[];
  /** Lambda requests, per request (standard and managed instances alike). */
  readonly lambdaPerRequest: number;
  /** Lambda arm64 duration, per GB-second, monthly tiers. */
  readonly lambdaArmPerGbSecond: readonly PriceTier[];
  /** Lambda Managed Instances management fee, as a share of the instance's on-demand price. */
  readonly managedInstanceFeeShare: number;
  /** EC2 on-demand Linux price per instance-hour, and its vCPUs. */
  readonly instances: Readonly<Record<string, { readonly perHour: number; readonly vcpus: number }>>;
  /** DynamoDB on-demand: per read request unit, per write request unit. */
  readonly dynamoPerRead: number;
  readonly dynamoPerWrite: number;
  /** SQS standard queue, per request (after the free tier). */
  readonly sqsPerRequest: number;
  /** Step Functions standard workflows, per state transition. */
  readonly sfnPerTransition: number;
  /** NAT gateway: per hour, per GB processed (managed instances run in a VPC). */
  readonly natPerHour: number;
  readonly natPerGb: number;
  /** Hours in a month, as AWS's calculator counts them. */
  readonly hoursPerMonth: number;
}

const UNBOUNDED = Number.POSITIVE_INFINITY;

export const AWS_PRICES_US_EAST_1: AwsPrices = {
  asOf: '2026-12-02',
  region: 'us-east-1',
  restApiPerCall: [
    { upTo: 333e6, price: 3.5e-6 },
    { upTo: 1e9, price: 2.8e-6 },
    { upTo: 20e9, price: 2.38e-6 },
    { upTo: UNBOUNDED, price: 1.51e-6 },
  ],
  lambdaPerRequest: 0.2e-6,
  lambdaArmPerGbSecond: [
    { upTo: 7.5e9, price: 0.0000133334 },
    { upTo: 18.75e9, price: 0.0000120001 },
    { upTo: UNBOUNDED, price: 0.0000106667 },
  ],
  managedInstanceFeeShare: 0.15,
  instances: {
    'c7g.large': { perHour: 0.0725, vcpus: 2 },
    'c7g.xlarge': { perHour: 0.145, vcpus: 4 },
    'm7g.large': { perHour: 0.0816, vcpus: 2 },
    'm7g.xlarge': { perHour: 0.1632, vcpus: 4 },
  },
  dynamoPerRead: 0.125e-6,
  dynamoPerWrite: 0.625e-6,
  sqsPerRequest: 0.4e-6,
  sfnPerTransition: 0.000025,
  natPerHour: 0.045,
  natPerGb: 0.045,
  hoursPerMonth: 730,
};
