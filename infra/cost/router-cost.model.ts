// The router side's AWS cost per million requests, for standard Lambda and for Lambda Managed
// Instances, from a request rate, the model's latency and the function's memory. Pure: prices are
// an argument. Standard Lambda bills the router for every millisecond it waits on the model;
// managed instances bill instance-hours, sized by Little's law (concurrency = rate x time in the
// router) against the requests one vCPU serves at once, or by CPU, whichever needs more.

import type { AwsPrices, PriceTier } from './aws-prices.ts';

export type ComputeMode = 'standard' | 'managed-instances';

export interface CostInputs {
  /** Sustained request rate through the API. */
  readonly requestsPerSecond: number;
  /** Time the router waits on the model per request (the whole generation when buffered). */
  readonly modelLatencyMs: number;
  /** Standard Lambda: the router's memory (its price per millisecond scales with it). */
  readonly memoryMb: number;
  /** The router's own wall time per request beyond the model (cache misses, DynamoDB writes). */
  readonly routerOverheadMs: number;
  /** Managed instances: CPU time per request (parse, route, JSON, TLS). */
  readonly routerCpuMs: number;
  /** Share of requests whose API key the API Gateway authorizer cache answers (0..1). */
  readonly authorizerCacheHitRate: number;
  readonly authorizerDurationMs: number;
  readonly authorizerMemoryMb: number;
  /** DynamoDB read units per authorizer invocation (the key's GetItem). */
  readonly authorizerReadsPerInvocation: number;
  /** DynamoDB read and write units per request on the router (cached snapshots amortise reads). */
  readonly dynamoReadsPerRequest: number;
  readonly dynamoWritesPerRequest: number;
  /** Share of requests that are async jobs (SQS and Step Functions). */
  readonly jobShare: number;
  readonly sqsRequestsPerJob: number;
  readonly sfnTransitionsPerJob: number;
  /** Managed instances: the EC2 instance type (a key of the price list). */
  readonly instanceType: string;
  /** Managed instances: concurrent requests one vCPU serves (Node.js default: 64). */
  readonly concurrencyPerVcpu: number;
  /** Managed instances: CPU utilisation the capacity provider scales to (0..1]. */
  readonly targetCpuUtilization: number;
  /** Managed instances: the fewest instances kept (one per Availability Zone). */
  readonly minInstances: number;
  /** Managed instances: NAT gateways of the VPC, and bytes per request through them. */
  readonly natGateways: number;
  readonly natBytesPerRequest: number;
}

export const DEFAULT_COST_INPUTS: CostInputs = {
  requestsPerSecond: 100,
  modelLatencyMs: 2000,
  memoryMb: 1024,
  routerOverheadMs: 5,
  routerCpuMs: 2,
  authorizerCacheHitRate: 0.95,
  authorizerDurationMs: 8,
  authorizerMemoryMb: 256,
  authorizerReadsPerInvocation: 1,
  dynamoReadsPerRequest: 0.01,
  dynamoWritesPerRequest: 1,
  jobShare: 0,
  sqsRequestsPerJob: 3,
  sfnTransitionsPerJob: 12,
  instanceType: 'c7g.large',
  concurrencyPerVcpu: 64,
  targetCpuUtilization: 0.5,
  minInstances: 3,
  natGateways: 1,
  natBytesPerRequest: 8192,
};

/** Dollars per million requests, by line item. */
export interface CostLines {
  readonly apiGateway: number;
  readonly authorizer: number;
  readonly routerCompute: number;
  readonly routerRequests: number;
  readonly dynamodb: number;
  readonly sqs: number;
  readonly stepFunctions: number;
  readonly network: number;
  readonly total: number;
}

export interface ModeCost {
  readonly mode: ComputeMode;
  readonly monthlyRequests: number;
  /** Dollars per month at this rate. */
  readonly monthly: number;
  readonly perMillion: CostLines;
  /** Managed instances: instances running; standard: 0. */
  readonly instances: number;
  /** Requests in the router at once (Little's law). */
  readonly concurrency: number;
}

/** Cost of `units` in a month under tiered prices. */
export function tieredCost(units: number, tiers: readonly PriceTier[]): number {
  let cost = 0;
  let from = 0;
  for (const tier of tiers) {
    if (units <= from) break;
    cost += (Math.min(units, tier.upTo) - from) * tier.price;
    from = tier.upTo;
  }
  return cost;
}

export function monthlyRequests(inputs: CostInputs, prices: AwsPrices): number {
  return inputs.requestsPerSecond * 3600 * prices.hoursPerMonth;
}

/** Lambda bills whole milliseconds. */
function billedMs(ms: number): number {
  return Math.ceil(ms);
}

function perMillion(lines: Omit<CostLines, 'total'>, requests: number): CostLines {
  const scale = requests > 0 ? 1e6 / requests : 0;
  const out = {
    apiGateway: lines.apiGateway * scale,
    authorizer: lines.authorizer * scale,
    routerCompute: lines.routerCompute * scale,
    routerRequests: lines.routerRequests * scale,
    dynamodb: lines.dynamodb * scale,
    sqs: lines.sqs * scale,
    stepFunctions: lines.stepFunctions * scale,
    network: lines.network * scale,
  };
  const total = Object.values(out).reduce((a, b) => a + b, 0);
  return { ...out, total };
}

/** Requests in the router at once, and the instances managed instances need for them. */
export function managedInstanceCount(
  inputs: CostInputs,
  prices: AwsPrices,
): { concurrency: number; instances: number } {
  const instance = prices.instances[inputs.instanceType];
  if (!instance) throw new Error(`no price for instance type ${inputs.instanceType}`);
  const concurrency = (inputs.requestsPerSecond * (inputs.routerOverheadMs + inputs.modelLatencyMs)) / 1000;
  const vcpusForConcurrency = concurrency / inputs.concurrencyPerVcpu;
  const vcpusForCpu = (inputs.requestsPerSecond * inputs.routerCpuMs) / 1000 / inputs.targetCpuUtilization;
  const vcpus = Math.max(vcpusForConcurrency, vcpusForCpu);
  return { concurrency, instances: Math.max(inputs.minInstances, Math.ceil(vcpus / instance.vcpus)) };
}

/** The monthly cost of one mode at the inputs' rate, and per million requests. */
export function routerCost(mode: ComputeMode, inputs: CostInputs, prices: AwsPrices): ModeCost {
  const requests = monthlyRequests(inputs, prices);
  const gb = (mb: number) => mb / 1024;

  const authorizerInvocations = requests * (1 - inputs.authorizerCacheHitRate);
  const authorizerGbSeconds =
    (authorizerInvocations * billedMs(inputs.authorizerDurationMs) * gb(inputs.authorizerMemoryMb)) / 1000;
  const routerGbSeconds =
    mode === 'standard'
      ? (requests * billedMs(inputs.routerOverheadMs + inputs.modelLatencyMs) * gb(inputs.memoryMb)) / 1000
      : 0;
  // Duration tiers count the account's GB-seconds together; each function pays its share.
  const gbSeconds = authorizerGbSeconds + routerGbSeconds;
  const durationCost = tieredCost(gbSeconds, prices.lambdaArmPerGbSecond);
  const share = (part: number) => (gbSeconds > 0 ? (durationCost * part) / gbSeconds : 0);

  const authorizer =
    authorizerInvocations * prices.lambdaPerRequest +
    share(authorizerGbSeconds) +
    authorizerInvocations * inputs.authorizerReadsPerInvocation * prices.dynamoPerRead;

  let routerCompute: number;
  let network = 0;
  let instances = 0;
  const sized = managedInstanceCount(inputs, prices);
  if (mode === 'standard') {
    routerCompute = share(routerGbSeconds);
  } else {
    instances = sized.instances;
    const perHour =
      (prices.instances[inputs.instanceType]?.perHour ?? 0) * (1 + prices.managedInstanceFeeShare);
    routerCompute = instances * perHour * prices.hoursPerMonth;
    network =
      inputs.natGateways * prices.natPerHour * prices.hoursPerMonth +
      ((requests * inputs.natBytesPerRequest) / 1e9) * prices.natPerGb;
  }

  const jobs = requests * inputs.jobShare;
  const lines = {
    apiGateway: tieredCost(requests, prices.restApiPerCall),
    authorizer,
    routerCompute,
    routerRequests: requests * prices.lambdaPerRequest,
    dynamodb:
      requests *
      (inputs.dynamoReadsPerRequest * prices.dynamoPerRead +
        inputs.dynamoWritesPerRequest * prices.dynamoPerWrite),
    sqs: jobs * inputs.sqsRequestsPerJob * prices.sqsPerRequest,
    stepFunctions: jobs * inputs.sfnTransitionsPerJob * prices.sfnPerTransition,
    network,
  };
  const monthly = Object.values(lines).reduce((a, b) => a + b, 0);
  return {
    mode,
    monthlyRequests: requests,
    monthly,
    perMillion: perMillion(lines, requests),
    instances,
    concurrency: sized.concurrency,
  };
}

/** True when managed instances cost no more than standard Lambda at `rps`. */
function managedWins(inputs: CostInputs, prices: AwsPrices, rps: number): boolean {
  const at = { ...inputs, requestsPerSecond: rps };
  return routerCost('managed-instances', at, prices).monthly <= routerCost('standard', at, prices).monthly;
}

/**
 * The lowest sustained request rate (between 0.001 and 100,000 per second) from which managed
 * instances cost no more than standard Lambda, to 0.1%; null when they never do in that range.
 */
export function crossoverRequestsPerSecond(inputs: CostInputs, prices: AwsPrices): number | null {
  let low = 0.001;
  if (managedWins(inputs, prices, low)) return low;
  let high = low;
  while (!managedWins(inputs, prices, high)) {
    low = high;
    high *= 1.25;
    if (high > 100_000) return null;
  }
  while (high - low > high * 0.001) {
    const mid = (low + high) / 2;
    if (managedWins(inputs, prices, mid)) high = mid;
    else low = mid;
  }
  return high;
}
