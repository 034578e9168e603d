// The cost model against hand-computed cases (us-east-1 prices of 2026-12-02): tiers, Lambda's
// millisecond rounding, the authorizer cache, instance sizing by concurrency and by CPU, jobs,
// the NAT gateway, and the crossover rate.
import { describe, expect, it } from 'vitest';
import { AWS_PRICES_US_EAST_1 as PRICES } from '../../../infra/cost/aws-prices.ts';
import {
  type CostInputs,
  crossoverRequestsPerSecond,
  DEFAULT_COST_INPUTS,
  managedInstanceCount,
  routerCost,
  tieredCost,
} from '../../../infra/cost/router-cost.model.ts';

const BASE: CostInputs = {
  ...DEFAULT_COST_INPUTS,
  requestsPerSecond: 100,
  modelLatencyMs: 5000,
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
  instanceType: 'c7g.large',
  concurrencyPerVcpu: 64,
  targetCpuUtilization: 0.5,
  minInstances: 3,
  natGateways: 1,
  natBytesPerRequest: 8192,
};

describe('tieredCost', () => {
  const rest = PRICES.restApiPerCall;
  it('prices the first tier alone up to its bound, inclusive', () => {
    expect(tieredCost(333e6, rest)).toBeCloseTo(1165.5, 6);
    expect(tieredCost(1e6, rest)).toBeCloseTo(3.5, 9);
  });
  it('prices units past a bound at the next tier', () => {
    // 333M at $3.50/M + 67M at $2.80/M
    expect(tieredCost(400e6, rest)).toBeCloseTo(1353.1, 6);
    // + 667M at $2.80/M + 1B at $2.38/M
    expect(tieredCost(2e9, rest)).toBeCloseTo(1165.5 + 1867.6 + 2380, 4);
  });
  it('is 0 for no units', () => {
    expect(tieredCost(0, rest)).toBe(0);
  });
});

describe('standard Lambda at 100 requests/s, 5 s model latency, 1024 MB', () => {
  const cost = routerCost('standard', BASE, PRICES);
  it('counts a 730-hour month', () => {
    expect(cost.monthlyRequests).toBe(262_800_000);
  });
  it('bills the router for the whole wait: 5.005 GB-s a request', () => {
    expect(cost.perMillion.routerCompute).toBeCloseTo(66.733667, 5);
    expect(cost.perMillion.routerRequests).toBeCloseTo(0.2, 9);
  });
  it('bills the REST API at its first tier', () => {
    expect(cost.perMillion.apiGateway).toBeCloseTo(3.5, 9);
  });
  it('bills the authorizer for cache misses only: 5% x ($0.20 + 2 ms GB-s + 1 read) per million', () => {
    expect(cost.perMillion.authorizer).toBeCloseTo(0.01758334, 7);
  });
  it('bills DynamoDB reads and writes', () => {
    expect(cost.perMillion.dynamodb).toBeCloseTo(0.62625, 9);
  });
  it('has no instances, NAT, queues or workflows', () => {
    expect(cost.instances).toBe(0);
    expect(cost.perMillion.network).toBe(0);
    expect(cost.perMillion.sqs).toBe(0);
    expect(cost.perMillion.stepFunctions).toBe(0);
  });
  it('totals the lines, per million and per month', () => {
    expect(cost.perMillion.total).toBeCloseTo(71.0775, 4);
    expect(cost.monthly).toBeCloseTo(71.0775 * 262.8, 0);
  });
});

describe('managed instances at the same load', () => {
  const cost = routerCost('managed-instances', BASE, PRICES);
  it('sizes by concurrency: 500.5 in flight / 64 per vCPU = 7.8 vCPUs = 4 c7g.large', () => {
    expect(cost.concurrency).toBeCloseTo(500.5, 9);
    expect(cost.instances).toBe(4);
  });
  it('bills instance-hours with the 15% fee: 4 x $0.0725 x 1.15 x 730 h', () => {
    expect(cost.perMillion.routerCompute).toBeCloseTo(243.455 / 262.8, 9);
  });
  it('bills one NAT gateway and 8 KiB a request through it', () => {
    expect(cost.perMillion.network).toBeCloseTo(0.125 + 0.36864, 9);
  });
  it('totals far below standard', () => {
    expect(cost.perMillion.total).toBeCloseTo(5.763863, 5);
  });
});

describe('managed instance sizing', () => {
  const at = (over: Partial<CostInputs>) => managedInstanceCount({ ...BASE, ...over }, PRICES);
  it('keeps the minimum when load is light', () => {
    expect(at({ requestsPerSecond: 1, modelLatencyMs: 1000 }).instances).toBe(3);
  });
  it('128 in flight fill exactly two vCPUs: one instance; a little more needs two', () => {
    const exact = { modelLatencyMs: 1000, routerOverheadMs: 0, routerCpuMs: 0, minInstances: 0 };
    expect(at({ ...exact, requestsPerSecond: 128 }).instances).toBe(1);
    expect(at({ ...exact, requestsPerSecond: 128.128 }).instances).toBe(2);
  });
  it('sizes by CPU when the model is fast: 1000/s x 4 ms at 50% = 8 vCPUs = 4 instances; 4.0001 ms = 5', () => {
    const cpu = { requestsPerSecond: 1000, modelLatencyMs: 0, routerOverheadMs: 0, minInstances: 0 };
    expect(at({ ...cpu, routerCpuMs: 4 }).instances).toBe(4);
    expect(at({ ...cpu, routerCpuMs: 4.0001 }).instances).toBe(5);
  });
  it('refuses an instance type without a price', () => {
    expect(() => at({ instanceType: 'x1.mega' })).toThrow('no price for instance type x1.mega');
  });
});

describe('billing details', () => {
  it('rounds the router duration up to a whole millisecond: 100.4 ms at 2 GB bills 101 ms', () => {
    const cost = routerCost(
      'standard',
      { ...BASE, modelLatencyMs: 100, routerOverheadMs: 0.4, memoryMb: 2048 },
      PRICES,
    );
    expect(cost.perMillion.routerCompute).toBeCloseTo(2.6933468, 6);
  });
  it('a fully cached authorizer costs nothing', () => {
    expect(routerCost('standard', { ...BASE, authorizerCacheHitRate: 1 }, PRICES).perMillion.authorizer).toBe(
      0,
    );
  });
  it('a job costs 3 SQS requests and 12 state transitions: 10% jobs = $0.12 and $30 per million', () => {
    const cost = routerCost('standard', { ...BASE, jobShare: 0.1 }, PRICES);
    expect(cost.perMillion.sqs).toBeCloseTo(0.12, 9);
    expect(cost.perMillion.stepFunctions).toBeCloseTo(30, 9);
  });
  it('past 7.5B GB-s a month the next duration tier applies to the excess', () => {
    // 10,000/s x 5.005 s x 1 GB = 131.5B GB-s: most of it above both tier bounds.
    const heavy = routerCost(
      'standard',
      { ...BASE, requestsPerSecond: 10_000, authorizerCacheHitRate: 1 },
      PRICES,
    );
    const gbs = 26.28e9 * 5.005;
    const expected = 7.5e9 * 0.0000133334 + 11.25e9 * 0.0000120001 + (gbs - 18.75e9) * 0.0000106667;
    expect(heavy.perMillion.routerCompute).toBeCloseTo((expected / 26.28e9) * 1e6, 6);
    expect(heavy.perMillion.routerCompute).toBeLessThan(55);
  });
});

describe('crossover', () => {
  it('with a 5 s model, managed instances win from 1.235 requests/s (215.44 $/month fixed over 66.37 $/M saved)', () => {
    const rps = crossoverRequestsPerSecond(BASE, PRICES);
    expect(rps).not.toBeNull();
    expect(rps as number).toBeGreaterThanOrEqual(1.2352);
    expect(rps as number).toBeLessThan(1.2366);
  });
  it('is null when managed instances never win (a model answering in 0 ms, CPU-heavy router)', () => {
    const rps = crossoverRequestsPerSecond(
      {
        ...BASE,
        modelLatencyMs: 0,
        routerOverheadMs: 1,
        routerCpuMs: 50,
        memoryMb: 128,
        natBytesPerRequest: 1e6,
      },
      PRICES,
    );
    expect(rps).toBeNull();
  });
});
