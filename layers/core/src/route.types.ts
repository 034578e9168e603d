// The routing core's inputs and outputs: the request as the core sees it, the health/load
// snapshot, the plan and its explanation. Plain data; the wire shape of `POST /v1/route`.
import type { Priority, RoutingHints } from './api.schema.ts';
import type { CompiledRegistry } from './compile.ts';
import type { PrivacyNote } from './pii/privacy.ts';
import type { EndpointKind, StrategyName } from './registry.schema.ts';
import type { RequestFeatures } from './understanding/features.types.ts';

export type HealthStatus = 'up' | 'degraded' | 'down' | 'unknown';
export type CircuitState = 'closed' | 'open' | 'half-open';

/** What is known about one endpoint at one moment: active probes and passive outcomes combined. */
export interface EndpointHealth {
  endpoint: string;
  status: HealthStatus;
  /** Epoch ms of the measurement; older than the freshness window means `unknown`. */
  checked_at: number;
  /** Last probe latency. */
  latency_ms?: number;
  /** Exponentially weighted moving average of observed latency. */
  latency_ewma_ms?: number;
  /** Peak-EWMA: jumps up on a slow sample, decays slowly (for p2c). */
  latency_peak_ewma_ms?: number;
  latency_p95_ms?: number;
  /** Streamed requests: EWMA of the time to first token (same alpha as latency). */
  ttft_ewma_ms?: number;
  /** Streamed requests: peak-EWMA of the time to first token (for p2c on streams). */
  ttft_peak_ewma_ms?: number;
  /** Streamed requests: p95 of the time to first token (the TTFT histogram's tail). */
  ttft_p95_ms?: number;
  /** Error rate over the health window, 0..1. */
  error_rate?: number;
  /**
   * Requests in flight now (load): the sum of the router containers' fresh reports
   * (`HealthSnapshot.inflight_reports`).
   */
  inflight?: number;
  circuit: CircuitState;
  circuit_opened_at?: number;
  reason?: string;
}

export interface HealthSnapshot {
  endpoints: Record<string, EndpointHealth>;
  /**
   * The fresh in-flight reports of router containers whose counts make up each endpoint's
   * `inflight` (omitted when there are none). A router replaces its own share with its exact count.
   */
  inflight_reports?: InflightReport[];
}

/** One router container's in-flight requests per endpoint at one moment (shared through the health store). */
export interface InflightReport {
  /** The reporting container's id (random per container). */
  router: string;
  /** Epoch ms of the report. */
  at: number;
  /** Requests in flight per endpoint id; endpoints with none are left out. */
  inflight: Record<string, number>;
}

/**
 * This router container's own requests in flight, exact and current, by registry slot of
 * `registry` (the position of each endpoint in `registry.registry.endpoints`). route() adds them to
 * the snapshot's shared figures, which must then leave this container's own share out. Treat it
 * as immutable once routed on, like the snapshot.
 */
export interface LocalLoad {
  readonly registry: CompiledRegistry;
  readonly inflight: ArrayLike<number>;
}

export interface TenantContext {
  id: string;
  /** Model ids (or `id@version`) this tenant may use; omitted means all. */
  allowed_models?: string[];
}

/** A request as the core sees it: parsed, with tokens estimated and hints merged. */
export interface RouteRequest {
  /**
   * A concrete model id, `id@version`, or an alias a policy matches (e.g. `auto`). Omitted (task
   * invocations without a model): routed by task (policy-match.ts).
   */
  model?: string;
  task: string;
  prompt_tokens: number;
  max_output_tokens: number;
  tenant: TenantContext;
  hints: RoutingHints;
  /** Lower-cased request headers, for policies that match on headers. */
  headers?: Record<string, string>;
  /** The OpenAI `user` field, a default sticky key. */
  user?: string;
  /**
   * Chat: a hash of the conversation's opening messages (affinity/affinity-key.ts), the affinity
   * key when neither hints.sticky_key nor `user` is set. Never the text itself.
   */
  conversation_key?: string;
  /**
   * The caller streams the answer: latency-aware scoring reads the time to first token (what a
   * streaming caller waits for) where it was measured, and total latency elsewhere.
   */
  stream?: boolean;
  /** Chat `n`: choices asked for. Above 1 only endpoints with `supports_n` qualify; cost counts each. */
  n?: number;
  /** Embeddings `dimensions`: only models that can return vectors of this length qualify. */
  dimensions?: number;
  /**
   * Tokens the longest single sequence needs in the context window, when that is not
   * `prompt_tokens + max_output_tokens` (embeddings: each input is embedded on its own).
   */
  context_tokens?: number;
  /**
   * What the prompt says (understanding/, set by the router's understand step): policies match
   * on it (`match.when`), infer task and domain from it (`infer`) and fan out on its complexity.
   * The learned strategy's context vector is built from it (learning/context.ts), else from
   * task and hints.
   */
  features?: RequestFeatures;
}

export interface RouteOptions {
  /** Health older than this counts as unknown. @default 90_000 */
  health_fresh_ms?: number;
}

/** Everything `route` needs besides the request; time and randomness are arguments. */
export interface RouteContext {
  now: number;
  /** Uniform [0, 1) draws; pass a seeded generator for reproducible plans. */
  random: () => number;
  options?: RouteOptions;
}

export interface PlanTarget {
  endpoint: string;
  model: string;
  version: string;
  kind: EndpointKind;
  target: string;
  region: string;
  upstream_model: string;
  api_key_ref?: string;
  timeout_ms: number;
  estimated_cost_usd: number;
  /** Quality prior of the model for the request's task (ensembles' `best-score` tie-breaker). */
  quality?: number;
  /** Embedding models: the model's vector length and whether it accepts a smaller `dimensions`. */
  embedding?: { dimensions: number; accepts_dimensions: boolean };
}

/** The synchronous path's retries of one target (policy `retry.sync`, see execute-plan.ts). */
export interface SyncRetry {
  /** Attempts per target, the first included: 1 means no retry. */
  max_attempts_per_target: number;
  /** Backoff before retry k is uniform in [0, min(max_delay_ms, base_delay_ms * 2^(k-1))). */
  base_delay_ms: number;
  /** Longest wait before a retry, an upstream Retry-After included (longer: the next target). */
  max_delay_ms: number;
}

export interface Plan {
  policy: string;
  primary: PlanTarget;
  fallbacks: PlanTarget[];
  attempt_timeout_ms: number;
  deadline_ms: number;
  /** Durable path: attempts per target (Step Functions Retry). */
  max_attempts_per_target: number;
  /** Synchronous path: same-target retries (absent: one attempt per target). */
  sync_retry?: SyncRetry;
  hedge?: { delay_ms: number; target: PlanTarget };
  ensemble?: { targets: PlanTarget[]; combine: 'first-success' | 'majority-vote' | 'best-score' };
  /** Policy `stream_resume`: a stream cut after its first chunk is resumed on the next fallback. */
  stream_resume?: true;
}

export interface ScoreParts {
  quality: number;
  cost: number;
  latency: number;
  load: number;
}

export interface CandidateExplanation {
  endpoint: string;
  model: string;
  version: string;
  score: number;
  parts: ScoreParts;
  estimated_cost_usd: number;
  expected_latency_ms: number;
  /** The endpoint's registry weight (multiplies its weighted-random share). */
  weight?: number;
  /** Health as the decision saw it: stale or missing health counts as `unknown`. */
  health?: HealthStatus;
  /** Requests in flight (0 when unknown). */
  inflight?: number;
  /** Peak-EWMA latency used by p2c-ewma (the expected latency when unmeasured). */
  peak_ewma_ms?: number;
  /** `max_inflight` of the endpoint (the default when undeclared). */
  capacity?: number;
  /**
   * Set on a canary's stable endpoints for a request pinned to its candidate: never the
   * primary, they lead the fallback chain after the candidate (see plan.ts).
   */
  fallback_only?: true;
  /** Strategy `learned`: this candidate's estimate, its uncertainty and utilities (strategies/learned.ts). */
  learned?: { estimate: number; uncertainty: number; utility: number; optimistic: number };
}

export type ExclusionRule =
  | 'policy-models'
  | 'tenant-allow-list'
  | 'model-status'
  | 'canary-version'
  | 'task'
  | 'dimensions'
  | 'domain'
  | 'context-window'
  | 'data-classification'
  | 'region'
  | 'n-choices'
  | 'endpoint-state'
  | 'health-down'
  | 'circuit-open'
  | 'max-cost'
  | 'max-latency';

export interface ExclusionExplanation {
  endpoint: string;
  model: string;
  version: string;
  rule: ExclusionRule;
  reason: string;
}

export interface Explanation {
  policy: string;
  strategy: StrategyName;
  priority: Priority;
  candidates: CandidateExplanation[];
  excluded: ExclusionExplanation[];
  /** `candidates.length`, without building the list (route() builds the lists on first read). */
  candidate_count?: number;
  /** `excluded.length`, without building the list. */
  excluded_count?: number;
  /** The random draws the decision used, in order. */
  draws: number[];
  /** Canary decisions: which version each model was pinned to, and why. */
  versions: Array<{ model: string; version: string; reason: string }>;
  /** Conversation affinity (policy `affinity`): the replica it chose, or why it yielded. */
  affinity?: AffinityExplanation;
  /**
   * Budget-aware degrade (set by the router's degrade step): the per-request cost cap a low
   * budget imposed, and whether the decision kept to it.
   */
  budget?: { cap_usd: number; remaining_share: number; applied: boolean; reason: string };
  /**
   * Strategy `learned`: the primary's propensity (probability the strategy gave it), whether the
   * draw explored, λ and the exploration share applied, the context vector, and how many
   * feedback events the learned state holds (0: priors only).
   */
  learned?: {
    propensity: number;
    /** The primary's quality prior, the base its learned residual is measured from. */
    prior: number;
    explored: boolean;
    lambda: number;
    explore: number;
    context: number[];
    events: number;
  };
  /**
   * Shadow mode (policy `learning.shadow`): what the learned strategy would have chosen, with its
   * propensity; the plan is the policy's own strategy's.
   */
  shadow?: { model: string; version: string; endpoint: string; propensity: number; explored: boolean };
  /**
   * Canary of the learned strategy (policy `learning.canary`): the arm that decided; on the
   * learned arm `strategy` is `learned` and `learned` is set.
   */
  arm?: 'static' | 'learned';
  /** Request understanding: the features read from the prompt and the rules that used them. */
  understanding?: UnderstandingExplanation;
  /**
   * Personal data (set by the router's privacy step): the action taken and the types and counts
   * found, never a value.
   */
  privacy?: PrivacyNote;
}

/** Which rule read which features, and what it made of them. */
export interface FeatureUse {
  /** `match`: a policy's `when` conditions held; `infer`: task or domain inferred; `ensemble`: min_complexity. */
  rule: 'match' | 'infer' | 'ensemble';
  /** The features the rule read. */
  features: string[];
  /** What it decided, in words (`policy "auto-legal": domain = legal`). */
  detail: string;
}

export interface UnderstandingExplanation {
  features: RequestFeatures;
  /** What the policy's `infer` set: the task and/or domain the request was routed with. */
  inferred?: { task?: string; domain?: string };
  used: FeatureUse[];
}

/** What conversation affinity did for one request (affinity/affinity.ts). */
export interface AffinityExplanation {
  /** Where the affinity key came from (its value is never shown: it may hash the prompt). */
  key: 'sticky_key' | 'user' | 'conversation' | 'none';
  epsilon: number;
  /** The primary the policy's strategy chose. */
  strategy_choice: string;
  /** Whether affinity chose the primary (false: it yielded to the strategy). */
  applied: boolean;
  /** The replica affinity chose. */
  endpoint?: string;
  /** Its requests in flight before this one, and its bound ceil((1 + epsilon) x fair share). */
  inflight?: number;
  bound?: number;
  /** Replicas of the model the ring walk passed over before the choice (at most 8), and why. */
  skipped?: Array<
    | { endpoint: string; reason: 'not-a-candidate' }
    | { endpoint: string; reason: 'over-bound'; inflight: number; bound: number }
  >;
  reason: string;
}

export interface Decision {
  plan: Plan;
  explanation: Explanation;
}
