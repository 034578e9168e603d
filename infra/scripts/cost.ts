// `npm run cost [-- --rps 100 --latency-ms 2000 --memory-mb 1024 --cache-hit 0.95 --instance c7g.large
// --job-share 0 --json]`: the router side's AWS cost per million requests for standard Lambda
// and Lambda Managed Instances at one load, the crossover rate, and a grid of rates x model
// latencies (the README's table). Prices: infra/cost/aws-prices.ts (us-east-1, dated).
import { AWS_PRICES_US_EAST_1 as PRICES } from '../cost/aws-prices.ts';
import {
  type CostInputs,
  type CostLines,
  crossoverRequestsPerSecond,
  DEFAULT_COST_INPUTS,
  type ModeCost,
  routerCost,
} from '../cost/router-cost.model.ts';
import { flags } from './stack-outputs.ts';

const args = flags(process.argv.slice(2));
const json = args.json === 'true';

function num(name: string, fallback: number): number {
  const raw = args[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} must be a non-negative number, got ${raw}`);
    process.exit(2);
  }
  return value;
}

const inputs: CostInputs = {
  ...DEFAULT_COST_INPUTS,
  requestsPerSecond: num('rps', DEFAULT_COST_INPUTS.requestsPerSecond),
  modelLatencyMs: num('latency-ms', DEFAULT_COST_INPUTS.modelLatencyMs),
  memoryMb: num('memory-mb', DEFAULT_COST_INPUTS.memoryMb),
  authorizerCacheHitRate: num('cache-hit', DEFAULT_COST_INPUTS.authorizerCacheHitRate),
  jobShare: num('job-share', DEFAULT_COST_INPUTS.jobShare),
  instanceType: args.instance ?? DEFAULT_COST_INPUTS.instanceType,
};
if (!PRICES.instances[inputs.instanceType]) {
  console.error(`--instance: one of ${Object.keys(PRICES.instances).join(', ')}`);
  process.exit(2);
}

const modes = [routerCost('standard', inputs, PRICES), routerCost('managed-instances', inputs, PRICES)];
const crossover = crossoverRequestsPerSecond(inputs, PRICES);
const GRID_RPS = [1, 10, 100, 1000];
const GRID_LATENCY_MS = [500, 2000, 5000];
const grid = GRID_LATENCY_MS.flatMap((latency) =>
  GRID_RPS.map((rps) => {
    const at = { ...inputs, requestsPerSecond: rps, modelLatencyMs: latency };
    return {
      rps,
      latencyMs: latency,
      standard: routerCost('standard', at, PRICES).perMillion.total,
      managed: routerCost('managed-instances', at, PRICES).perMillion.total,
      instances: routerCost('managed-instances', at, PRICES).instances,
    };
  }),
);
const crossovers = GRID_LATENCY_MS.map((latency) => ({
  latencyMs: latency,
  rps: crossoverRequestsPerSecond({ ...inputs, modelLatencyMs: latency }, PRICES),
}));

if (json) {
  const line = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  line({ name: 'prices', region: PRICES.region, asOf: PRICES.asOf });
  line({ name: 'inputs', ...inputs });
  for (const m of modes)
    line({ name: `cost.${m.mode}`, unit: 'USD/1M requests', value: m.perMillion.total, ...m });
  line({ name: 'cost.crossover', unit: 'requests/s', value: crossover });
  for (const g of grid) line({ name: 'cost.grid', ...g });
  for (const c of crossovers) line({ name: 'cost.crossover.by-latency', ...c });
} else {
  const usd = (v: number) => `$${v.toFixed(v >= 100 ? 0 : v >= 1 ? 2 : 3)}`;
  const labels: Array<[keyof CostLines, string]> = [
    ['apiGateway', 'REST API'],
    ['authorizer', `authorizer (${(inputs.authorizerCacheHitRate * 100).toFixed(0)}% cached)`],
    ['routerCompute', 'router duration / instances'],
    ['routerRequests', 'router requests'],
    ['dynamodb', 'DynamoDB'],
    ['sqs', 'SQS'],
    ['stepFunctions', 'Step Functions'],
    ['network', 'NAT gateway'],
    ['total', 'total'],
  ];
  const col = (m: ModeCost, key: keyof CostLines) => usd(m.perMillion[key]).padStart(12);
  console.log(
    `Router-side AWS cost per million requests, ${PRICES.region} on-demand prices of ${PRICES.asOf}\n` +
      `${inputs.requestsPerSecond} requests/s, model latency ${inputs.modelLatencyMs} ms, router ${inputs.memoryMb} MB ` +
      `(standard) or ${inputs.instanceType} (managed instances)\n`,
  );
  console.log(`${'line'.padEnd(32)}${'standard'.padStart(12)}${'managed'.padStart(12)}`);
  for (const [key, label] of labels) {
    console.log(`${label.padEnd(32)}${col(modes[0] as ModeCost, key)}${col(modes[1] as ModeCost, key)}`);
  }
  const [std, mi] = modes as [ModeCost, ModeCost];
  console.log(`${'per month'.padEnd(32)}${usd(std.monthly).padStart(12)}${usd(mi.monthly).padStart(12)}`);
  console.log(
    `managed instances: ${mi.instances} x ${inputs.instanceType} for ${mi.concurrency.toFixed(1)} requests in flight`,
  );
  console.log(
    crossover === null
      ? 'crossover: managed instances never cost less in 0.001..100,000 requests/s'
      : `crossover: managed instances cost less from ${crossover.toPrecision(3)} requests/s`,
  );
  console.log('\n| model latency | requests/s | standard $/1M | managed $/1M | instances |');
  console.log('|---|---|---|---|---|');
  for (const g of grid) {
    console.log(`| ${g.latencyMs} ms | ${g.rps} | ${usd(g.standard)} | ${usd(g.managed)} | ${g.instances} |`);
  }
  for (const c of crossovers) {
    console.log(
      `crossover at ${c.latencyMs} ms: ${c.rps === null ? 'none' : `${c.rps.toPrecision(3)} requests/s`}`,
    );
  }
}
