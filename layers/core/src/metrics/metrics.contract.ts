// The metrics contract: the CloudWatch namespace, metric names, units and dimension names the
// functions emit (as EMF) and the infra reads (dashboard, alarms, autoscaling signals). One
// place, so a renamed metric breaks a test instead of a silent alarm. Dimensions are bounded:
// policy, model and endpoint come from the registry, the error class from the list below;
// tenants never appear (unbounded). Pure: no Powertools here, only names and the error class.
import {
  BudgetUnavailableError,
  InsufficientQuotaError,
  RateLimitError,
  SwitchyardError,
} from '../errors.ts';

export const METRICS_NAMESPACE = 'Switchyard';

/** The `service` dimension each function emits with (every metric carries it). */
export const METRIC_SERVICE = {
  router: 'router',
  jobs: 'jobs',
  rollouts: 'rollouts',
  health: 'health',
} as const;

/** Dimension names. */
export const DIMENSION = {
  service: 'service',
  policy: 'Policy',
  model: 'Model',
  endpoint: 'Endpoint',
  errorClass: 'ErrorClass',
  route: 'Route',
  outcome: 'Outcome',
} as const;

export type MetricUnit = 'Count' | 'Milliseconds' | 'None';

export interface MetricDefinition {
  readonly name: string;
  readonly unit: MetricUnit;
  /** The dimension sets it is emitted with. */
  readonly dimensions: readonly (readonly string[])[];
  readonly description: string;
}

const d = DIMENSION;

/** Every metric Switchyard emits, by key. */
export const METRICS = {
  // Router: one of each per request.
  requests: {
    name: 'Requests',
    unit: 'Count',
    dimensions: [[d.route], [d.policy, d.model]],
    description: 'requests answered by the router (any status)',
  },
  errors: {
    name: 'Errors',
    unit: 'Count',
    dimensions: [[d.route], [d.errorClass]],
    description: 'requests that ended in an error, by class',
  },
  latency: {
    name: 'Latency',
    unit: 'Milliseconds',
    dimensions: [[d.route], [d.policy, d.model]],
    description: 'time in the router handler, end to end',
  },
  timeToFirstToken: {
    name: 'TimeToFirstToken',
    unit: 'Milliseconds',
    dimensions: [[d.policy, d.model]],
    description:
      'streamed requests: time to the first byte of the answer (its first chunk; the latency of a stream is at its end)',
  },
  attempts: {
    name: 'Attempts',
    unit: 'Count',
    dimensions: [[d.policy, d.model]],
    description: 'upstream attempts per request',
  },
  fallbacks: {
    name: 'Fallbacks',
    unit: 'Count',
    dimensions: [[d.policy, d.model]],
    description: 'attempts beyond the first per request',
  },
  costUsd: {
    name: 'CostUsd',
    unit: 'None',
    dimensions: [[d.policy, d.model], []],
    description: 'estimated upstream cost of the request, USD',
  },
  inputTokens: {
    name: 'InputTokens',
    unit: 'Count',
    dimensions: [[d.policy, d.model]],
    description: 'prompt tokens per request',
  },
  outputTokens: {
    name: 'OutputTokens',
    unit: 'Count',
    dimensions: [[d.policy, d.model]],
    description: 'completion tokens per request',
  },
  // Router: per upstream attempt, by endpoint (the load signals an autoscaler reads).
  upstreamLatency: {
    name: 'UpstreamLatency',
    unit: 'Milliseconds',
    dimensions: [[d.endpoint]],
    description: 'time of one upstream attempt',
  },
  upstreamErrors: {
    name: 'UpstreamErrors',
    unit: 'Count',
    dimensions: [[d.endpoint]],
    description: 'upstream attempts that failed',
  },
  upstreamThrottles: {
    name: 'UpstreamThrottles',
    unit: 'Count',
    dimensions: [[d.endpoint]],
    description: 'upstream attempts refused with 429 (the endpoint is at capacity)',
  },
  inFlight: {
    name: 'InFlight',
    unit: 'Count',
    dimensions: [[d.endpoint]],
    description: 'requests in flight on the endpoint from one router container, sampled at each flush',
  },
  circuitOpens: {
    name: 'CircuitOpens',
    unit: 'Count',
    dimensions: [[d.endpoint], []],
    description: "a router container's breaker opened for the endpoint",
  },
  // Workers.
  jobsEnded: {
    name: 'JobsEnded',
    unit: 'Count',
    dimensions: [[d.outcome]],
    description: 'async jobs that reached a final state (succeeded, failed)',
  },
  jobsDeadLettered: {
    name: 'JobsDeadLettered',
    unit: 'Count',
    dimensions: [[]],
    description: 'async jobs moved to the dead-letter queue and recorded as failed',
  },
  rolloutSteps: {
    name: 'RolloutSteps',
    unit: 'Count',
    dimensions: [[d.outcome]],
    description: 'rollout workflow steps by outcome (shifted, promoted, rolled-back)',
  },
  endpointsDown: {
    name: 'EndpointsDown',
    unit: 'Count',
    dimensions: [[]],
    description: 'endpoints the last health check found down or with an open circuit',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

/** Bounded classes of errors: the `ErrorClass` dimension. */
export const ERROR_CLASSES = ['client', 'auth', 'throttled', 'budget', 'upstream', 'internal'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** The class of an error a request ended with. */
export function errorClassOf(err: unknown): ErrorClass {
  if (err instanceof BudgetUnavailableError || err instanceof InsufficientQuotaError) return 'budget';
  if (err instanceof RateLimitError) return 'throttled';
  if (!(err instanceof SwitchyardError)) return 'internal';
  if (err.status === 401 || err.status === 403) return 'auth';
  if (err.status === 429) return 'throttled';
  if (err.status >= 400 && err.status < 500) return 'client';
  if (err.status === 502 || err.status === 503 || err.status === 504) return 'upstream';
  return 'internal';
}
