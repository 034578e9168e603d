// Builders for the core's unit tests: small registries, requests, health records, contexts and
// strategy candidates, with defaults that pass every hard constraint unless a test says otherwise.
import type {
  CandidateTable,
  CompiledRegistry,
  EndpointHealth,
  EndpointInput,
  HealthSnapshot,
  ModelInput,
  PolicyInput,
  RegistryInput,
  RouteContext,
  RouteRequest,
} from '../../../layers/core/src/index.ts';
import { compileRegistry, RegistrySchema, seededRandom } from '../../../layers/core/src/index.ts';

export const NOW = 1_000_000;

export const compiled = (input: RegistryInput): CompiledRegistry =>
  compileRegistry(RegistrySchema.parse(input));

export const model = (id: string, over: Partial<ModelInput> = {}): ModelInput => ({
  id,
  version: 'v1',
  tasks: ['chat'],
  context_window: 8192,
  regions: ['us-east-1'],
  ...over,
});

export const endpoint = (id: string, modelId: string, over: Partial<EndpointInput> = {}): EndpointInput => ({
  id,
  model: modelId,
  version: 'v1',
  kind: 'openai-http',
  target: `http://${id}.internal/v1`,
  region: 'us-east-1',
  ...over,
});

export const policy = (name: string, over: Partial<PolicyInput> = {}): PolicyInput => ({
  name,
  match: { model: name },
  ...over,
});

export const request = (over: Partial<RouteRequest> = {}): RouteRequest => ({
  model: 'auto',
  task: 'chat',
  prompt_tokens: 100,
  max_output_tokens: 100,
  tenant: { id: 'tenant-1' },
  hints: {},
  ...over,
});

export const ctx = (seed = 1, now = NOW): RouteContext => ({ now, random: seededRandom(seed) });

export const health = (endpointId: string, over: Partial<EndpointHealth> = {}): EndpointHealth => ({
  endpoint: endpointId,
  status: 'up',
  checked_at: NOW,
  circuit: 'closed',
  ...over,
});

export const snapshotOf = (...records: EndpointHealth[]): HealthSnapshot => ({
  endpoints: Object.fromEntries(records.map((h) => [h.endpoint, h])),
});

export const NO_HEALTH: HealthSnapshot = { endpoints: {} };

/** One candidate's figures, as a row; `tableOf` turns rows into the strategies' column table. */
export interface Row {
  score: number;
  quality: number;
  weight: number;
  cost: number;
  latency: number;
  peak: number;
  inflight: number;
  capacity: number;
}

export const candidate = (over: Partial<Row> = {}): Row => ({
  score: 0.5,
  quality: 0.5,
  weight: 1,
  cost: 0.001,
  latency: 500,
  peak: 500,
  inflight: 0,
  capacity: 16,
  ...over,
});

export const tableOf = (rows: readonly Row[]): CandidateTable => ({
  length: rows.length,
  score: rows.map((r) => r.score),
  quality: rows.map((r) => r.quality),
  weight: rows.map((r) => r.weight),
  cost: rows.map((r) => r.cost),
  latency: rows.map((r) => r.latency),
  peak: rows.map((r) => r.peak),
  inflight: rows.map((r) => r.inflight),
  capacity: rows.map((r) => r.capacity),
});

/**
 * A small registry with one model per constraint to trip:
 * cheap (fast, 8K, us+eu), big (legal domain, 32K, confidential, slow SLO), hipaa (PHI-eligible),
 * phi-no-hipaa (accepts phi but lacks hipaa compliance), canary-llm v1 active / v2 staged /
 * v3 failed, embed (another task).
 */
export const ZOO: RegistryInput = {
  models: [
    model('cheap', {
      tasks: ['chat', 'summarization'],
      cost: { input_per_1k: 0.0002, output_per_1k: 0.0004 },
      quality: { chat: 0.6 },
      regions: ['us-east-1', 'eu-west-1'],
      latency_slo_ms: 800,
    }),
    model('big', {
      tasks: ['chat', 'summarization'],
      domains: ['legal'],
      context_window: 32_768,
      cost: { input_per_1k: 0.003, output_per_1k: 0.006 },
      quality: { chat: 0.92, summarization: 0.9 },
      data_classifications: ['public', 'internal', 'confidential'],
      compliance: ['gdpr'],
      regions: ['us-east-1', 'eu-west-1'],
      latency_slo_ms: 6000,
    }),
    model('hipaa', {
      cost: { input_per_1k: 0.001, output_per_1k: 0.002 },
      quality: { chat: 0.8 },
      data_classifications: ['public', 'internal', 'pii', 'phi'],
      compliance: ['hipaa'],
    }),
    model('phi-no-hipaa', {
      cost: { input_per_1k: 0.001, output_per_1k: 0.002 },
      data_classifications: ['public', 'internal', 'phi'],
    }),
    model('canary-llm', { version: 'v1', quality: { chat: 0.7 } }),
    model('canary-llm', { version: 'v2', quality: { chat: 0.75 }, status: 'staged' }),
    model('canary-llm', { version: 'v3', status: 'failed', status_reason: 'rolled back: error rate 12%' }),
    model('embed', { tasks: ['embedding'], cost: { per_call: 0.00001 } }),
  ],
  endpoints: [
    endpoint('cheap-us', 'cheap', { capacity: { max_inflight: 10 } }),
    endpoint('cheap-eu', 'cheap', { region: 'eu-west-1' }),
    endpoint('big-us', 'big'),
    endpoint('big-eu', 'big', { region: 'eu-west-1' }),
    endpoint('hipaa-us', 'hipaa'),
    endpoint('phi-us', 'phi-no-hipaa'),
    endpoint('canary-v1', 'canary-llm', { version: 'v1' }),
    endpoint('canary-v2', 'canary-llm', { version: 'v2' }),
    endpoint('canary-v3', 'canary-llm', { version: 'v3' }),
    endpoint('embed-us', 'embed'),
  ],
  policies: [
    policy('auto'),
    policy('cheap-only', { models: ['cheap'] }),
    policy('canary', {
      models: ['canary-llm'],
      canary: [{ model: 'canary-llm', stable: 'v1', candidate: 'v2', weight: 0.5 }],
    }),
  ],
};

/** Every endpoint id of a plan: primary, fallbacks, hedge and ensemble members. */
export function planEndpoints(plan: {
  primary: { endpoint: string };
  fallbacks: Array<{ endpoint: string }>;
  hedge?: { target: { endpoint: string } };
  ensemble?: { targets: Array<{ endpoint: string }> };
}): string[] {
  return [
    plan.primary.endpoint,
    ...plan.fallbacks.map((t) => t.endpoint),
    ...(plan.hedge ? [plan.hedge.target.endpoint] : []),
    ...(plan.ensemble?.targets.map((t) => t.endpoint) ?? []),
  ];
}
