// The registry's shape: models, endpoints and routing policies, validated with zod.
// One schema serves the registry file, the DynamoDB documents and the admin API, so an
// error always names the exact field (e.g. `endpoints[2].model`).
import * as z from 'zod';
import { PiiPolicySchema } from './pii/pii-action.ts';
import { conditionDomains, FeatureConditionsSchema } from './understanding/conditions.ts';

const name = z.lazy(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/,
      'must be 1-128 letters, digits, ".", "_", ":", "/" or "-"',
    ),
);

/** Tasks are an open vocabulary; these are the ones the product knows about. */
export const KNOWN_TASKS = [
  'chat',
  'completion',
  'embedding',
  'summarization',
  'sentiment',
  'classification',
  'code',
  'vision',
  'translation',
  'extraction',
] as const;
export const TaskSchema = z.lazy(() =>
  z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lower-case task name'),
);

/** The longest embedding vector a model may declare (and a request may ask for). */
export const MAX_EMBEDDING_DIMENSIONS = 65_536;

export const DATA_CLASSIFICATIONS = ['public', 'internal', 'confidential', 'pii', 'phi', 'pci'] as const;
export const DataClassificationSchema = z.lazy(() => z.enum(DATA_CLASSIFICATIONS));
export type DataClassification = z.infer<typeof DataClassificationSchema>;

export const ModelStatusSchema = z.lazy(() => z.enum(['active', 'staged', 'failed', 'retired']));
export type ModelStatus = z.infer<typeof ModelStatusSchema>;

export const ModelSchema = z.lazy(() =>
  z
    .object({
      /** Model id shared by all of its versions, e.g. `support-llm`. */
      id: name,
      version: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a version label such as v1 or 2024-06'),
      family: z.string().max(128).optional(),
      tasks: z.array(TaskSchema).min(1, 'a model serves at least one task'),
      domains: z.array(z.string().min(1).max(64)).default([]),
      context_window: z.number().int().positive(),
      cost: z
        .object({
          input_per_1k: z.number().nonnegative().default(0),
          output_per_1k: z.number().nonnegative().default(0),
          per_call: z.number().nonnegative().default(0),
        })
        .strict()
        .default({ input_per_1k: 0, output_per_1k: 0, per_call: 0 }),
      /** Quality prior per task, 0..1. A task without a prior scores 0.5. */
      quality: z.record(TaskSchema, z.number().min(0).max(1)).default({}),
      /** Compliance programmes the model is eligible for: hipaa, gdpr, pci, soc2... */
      compliance: z.array(z.string().min(1).max(32)).default([]),
      /** Data classifications this model may receive. */
      data_classifications: z.array(DataClassificationSchema).default(['public', 'internal']),
      regions: z.array(z.string().min(1)).min(1, 'a model runs in at least one region'),
      latency_slo_ms: z.number().positive().optional(),
      /**
       * Embedding models: the vectors' native length, and whether the model honours a smaller
       * `dimensions` (Matryoshka-trained models such as OpenAI's text-embedding-3). A request's
       * `dimensions` only goes to models that can return it (route rule `dimensions`).
       */
      embedding: z
        .object({
          dimensions: z.number().int().positive().max(MAX_EMBEDDING_DIMENSIONS),
          accepts_dimensions: z.boolean().default(false),
        })
        .strict()
        .optional(),
      /** `staged` versions get traffic only through a canary; `failed` and `retired` get none. */
      status: ModelStatusSchema.default('active'),
      status_reason: z.string().max(1024).optional(),
    })
    .strict(),
);
export type Model = z.infer<typeof ModelSchema>;
export type ModelInput = z.input<typeof ModelSchema>;

export const ENDPOINT_KINDS = ['sagemaker', 'openai-http'] as const;
export const EndpointKindSchema = z.lazy(() => z.enum(ENDPOINT_KINDS));
export type EndpointKind = z.infer<typeof EndpointKindSchema>;

/**
 * A SageMaker endpoint whose instance count the stack owns: Application Auto Scaling tracks
 * invocations per instance between `min_instances` and `max_instances`. Absent: scaled elsewhere.
 */
export const EndpointAutoscalingSchema = z.lazy(() =>
  z
    .object({
      /** The production variant to scale. */
      variant: z.string().min(1).max(63).default('AllTraffic'),
      min_instances: z.number().int().min(1).max(100),
      max_instances: z.number().int().min(1).max(100),
      /** Target invocations per instance per minute (SageMakerVariantInvocationsPerInstance). */
      target_invocations_per_instance: z.number().positive().max(1_000_000).default(100),
    })
    .strict()
    .refine((a) => a.max_instances >= a.min_instances, {
      message: 'max_instances must be at least min_instances',
      path: ['max_instances'],
    }),
);
export type EndpointAutoscaling = z.infer<typeof EndpointAutoscalingSchema>;

/** The Application Auto Scaling resource id of a SageMaker endpoint variant. */
export function variantResourceId(endpointName: string, variant: string): string {
  return `endpoint/${endpointName}/variant/${variant}`;
}

export const EndpointSchema = z.lazy(() =>
  z
    .object({
      id: name,
      model: name,
      version: z.string().min(1).max(64),
      kind: EndpointKindSchema,
      /** sagemaker: the endpoint name; openai-http: the base URL up to and including `/v1`. */
      target: z.string().min(1).max(2048),
      region: z.string().min(1),
      weight: z.number().nonnegative().default(1),
      state: z.enum(['active', 'draining', 'disabled']).default('active'),
      capacity: z.object({ max_inflight: z.number().int().positive() }).strict().optional(),
      /** The model name sent upstream (e.g. the name vLLM serves); defaults to the model id. */
      upstream_model: z.string().min(1).max(256).optional(),
      /** openai-http: name of a secret/env entry holding the upstream API key (never the key itself). */
      api_key_ref: z.string().min(1).max(256).optional(),
      /**
       * The upstream returns `n > 1` chat choices (vLLM does; TGI and most SageMaker containers do
       * not). Absent means no: a chat request with `n > 1` only goes to endpoints that say so
       * (route rule `n-choices`).
       */
      supports_n: z.boolean().optional(),
      /** sagemaker only: the stack owns this endpoint's scaling (see EndpointAutoscalingSchema). */
      autoscaling: EndpointAutoscalingSchema.optional(),
    })
    .strict()
    .refine((e) => e.autoscaling === undefined || e.kind === 'sagemaker', {
      message: 'autoscaling is for sagemaker endpoints (scale GPU servers from the router load metrics)',
      path: ['autoscaling'],
    }),
);
export type Endpoint = z.infer<typeof EndpointSchema>;
export type EndpointInput = z.input<typeof EndpointSchema>;

export const STRATEGY_NAMES = [
  'weighted',
  'cost-first',
  'latency-first',
  'quality-first',
  'p2c-ewma',
  'least-outstanding',
  'learned',
] as const;
export const StrategyNameSchema = z.lazy(() => z.enum(STRATEGY_NAMES));
export type StrategyName = z.infer<typeof StrategyNameSchema>;

export const CanarySchema = z.lazy(() =>
  z
    .object({
      model: name,
      stable: z.string().min(1),
      candidate: z.string().min(1).optional(),
      /** Share of traffic (0..1) sent to the candidate, sticky per key. */
      weight: z.number().min(0).max(1).default(0),
    })
    .strict(),
);
export type Canary = z.infer<typeof CanarySchema>;

/**
 * Conversation affinity (affinity/affinity.ts): turns of one conversation go to the same replica
 * of the model the strategy picked, by consistent hashing with bounded loads; `epsilon` is the
 * slack over a replica's fair share of the requests in flight, ceil((1 + epsilon) x share).
 */
export const AffinitySchema = z.lazy(() =>
  z
    .object({
      enabled: z.boolean().default(true),
      epsilon: z.number().positive().max(10).default(0.25),
    })
    .strict(),
);
export type Affinity = z.infer<typeof AffinitySchema>;

/**
 * The learned canary gate's settings (learning/learned-canary.ts), shared with policy rollouts:
 * over at least `min_events` scored answers per arm, the learned arm passes when its mean score ≥
 * static − `tolerance` and its mean cost ≤ static × (1 + `tolerance`).
 */
export const learnedGateShape = () => ({
  /** Scored answers needed on each arm before the gate decides. @default 100 */
  min_events: z.number().int().positive().default(100),
  /** Slack in the gate: quality (absolute) and cost (relative). @default 0.02 */
  tolerance: z.number().min(0).max(1).default(0.02),
});

/**
 * Canary of the learned strategy on a static policy: `weight` of the traffic (sticky by
 * sticky_key, user, else tenant) is decided by the learned strategy. Set and judged by a policy
 * rollout (`POST /admin/rollouts {kind: policy}`), which promotes or rolls back (weight 0).
 */
export const LearnedCanarySchema = z.lazy(() =>
  z.object({ weight: z.number().min(0).max(1), ...learnedGateShape() }).strict(),
);
export type LearnedCanary = z.infer<typeof LearnedCanarySchema>;

export const LearningSettingsSchema = z.lazy(() =>
  z
    .object({
      /**
       * Cost weight λ in utility = quality − λ · cost / dearest candidate's cost, until a refit
       * solves one from `target_cost_usd` or `quality_floor`. Priority high halves it, low doubles it.
       * @default 0.5
       */
      lambda: z.number().nonnegative().max(100).default(0.5),
      /** Mean cost per request the refit solves λ for (the smallest λ whose greedy choices keep to it). */
      target_cost_usd: z.number().positive().optional(),
      /** Mean estimated quality the refit solves λ for (the largest λ whose greedy choices keep to it). */
      quality_floor: z.number().min(0).max(1).optional(),
      /** Share of traffic that may explore (never above 0.5; none for high priority). @default 0.05 */
      explore: z.number().min(0).max(0.5).default(0.05),
      /**
       * Shadow: a policy whose strategy is not `learned` also decides with the learned strategy and
       * logs that choice (explanation `shadow`, the decision record), serving with its own. @default false
       */
      shadow: z.boolean().default(false),
      /** A canary of the learned strategy on a static policy (ignored when the strategy is learned). */
      canary: LearnedCanarySchema.optional(),
    })
    .strict()
    .refine((l) => l.target_cost_usd === undefined || l.quality_floor === undefined, {
      message: 'set either target_cost_usd or quality_floor, not both',
    }),
);
export type LearningSettings = z.infer<typeof LearningSettingsSchema>;

export const CircuitSettingsSchema = z.lazy(() =>
  z
    .object({
      failure_threshold: z.number().int().positive().default(5),
      error_rate_threshold: z.number().min(0).max(1).default(0.5),
      min_requests: z.number().int().positive().default(20),
      window_ms: z.number().int().positive().default(60_000),
      cooldown_ms: z.number().int().positive().default(30_000),
    })
    .strict(),
);
export type CircuitSettings = z.infer<typeof CircuitSettingsSchema>;

/** Defaults of a policy's `retry.sync`: one attempt per target (no same-target retry). */
export const SYNC_RETRY_DEFAULTS = { max_attempts_per_target: 1, base_delay_ms: 100, max_delay_ms: 2000 };

export const SyncRetrySchema = z.lazy(() =>
  z
    .object({
      max_attempts_per_target: z
        .number()
        .int()
        .min(1)
        .max(5)
        .default(SYNC_RETRY_DEFAULTS.max_attempts_per_target),
      base_delay_ms: z.number().int().positive().max(60_000).default(SYNC_RETRY_DEFAULTS.base_delay_ms),
      max_delay_ms: z.number().int().positive().max(60_000).default(SYNC_RETRY_DEFAULTS.max_delay_ms),
    })
    .strict(),
);

export const PolicySchema = z.lazy(() =>
  z
    .object({
      name,
      /** Which requests this policy applies to; the most specific match (then highest priority) wins. */
      match: z
        .object({
          model: z.string().min(1).optional(),
          task: TaskSchema.optional(),
          tenant: z.string().min(1).optional(),
          headers: z.record(z.string(), z.string()).optional(),
          /**
           * Conditions on the request's features (understanding/conditions.ts), e.g.
           * `{ domain: legal, complexity: "> 0.7" }`: all must hold; each adds to specificity.
           */
          when: FeatureConditionsSchema.optional(),
        })
        .strict()
        .default({}),
      /**
       * Task and/or domain read from the prompt when the caller gave none (hints always win): the
       * inferred task replaces the default `chat`, the inferred domain constrains like a hint, each
       * only when a model of the policy serves it.
       */
      infer: z
        .array(z.enum(['task', 'domain']))
        .max(2)
        .refine((a) => new Set(a).size === a.length, 'lists task and domain at most once each')
        .optional(),
      priority: z.number().int().default(0),
      /** Candidate model ids; omitted means every model that serves the task. */
      models: z.array(name).optional(),
      strategy: StrategyNameSchema.default('weighted'),
      weights: z
        .object({
          quality: z.number().nonnegative().default(1),
          cost: z.number().nonnegative().default(1),
          latency: z.number().nonnegative().default(1),
          load: z.number().nonnegative().default(0.5),
        })
        .strict()
        .default({ quality: 1, cost: 1, latency: 1, load: 0.5 }),
      fallback: z
        .object({
          count: z.number().int().min(0).max(10).default(2),
          mode: z.enum(['same-model-first', 'cross-model', 'same-model-only']).default('same-model-first'),
        })
        .strict()
        .default({ count: 2, mode: 'same-model-first' }),
      timeouts: z
        .object({
          attempt_ms: z.number().int().positive().default(10_000),
          deadline_ms: z.number().int().positive().default(30_000),
        })
        .strict()
        .default({ attempt_ms: 10_000, deadline_ms: 30_000 }),
      retry: z
        .object({
          /** Durable path: attempts on one target before moving to the next (Step Functions Retry). */
          max_attempts_per_target: z.number().int().min(1).max(10).default(2),
          /**
           * Synchronous path: attempts on one target (1 = no retry, the default: the fallback chain
           * already moves on) on throttling, 503 or a connection failure, after a backoff with full
           * jitter or the upstream's Retry-After, only while the deadline leaves room.
           */
          sync: SyncRetrySchema.default(SYNC_RETRY_DEFAULTS),
        })
        .strict()
        .default({ max_attempts_per_target: 2, sync: SYNC_RETRY_DEFAULTS }),
      hedge: z.object({ delay_ms: z.number().int().positive() }).strict().optional(),
      /**
       * Streaming: a stream the upstream cuts after its first chunk goes on from the next fallback,
       * sent the text so far as an assistant prefix, so the caller reads one answer (off: the caller
       * gets an error event and the stream ends).
       */
      stream_resume: z.boolean().default(false),
      ensemble: z
        .object({
          size: z.number().int().min(2).max(5).default(3),
          combine: z.enum(['first-success', 'majority-vote', 'best-score']).default('first-success'),
          /** Fan out only when the prompt is at least this long (an input-complexity trigger). */
          min_prompt_tokens: z.number().int().nonnegative().optional(),
          /** Fan out only when the request's complexity score (understanding/) is at least this. */
          min_complexity: z.number().min(0).max(1).optional(),
        })
        .strict()
        .optional(),
      canary: z.array(CanarySchema).default([]),
      circuit: CircuitSettingsSchema.optional(),
      /**
       * What personal data found in a request does (core pii/): `classify` (also the default when
       * unset) raises its data classification to `pii` (`phi` with medical words); `redact` sends
       * typed placeholders upstream and restores the values in the answer; `refuse` answers 400.
       * A tenant's `pii_action` that is stricter wins.
       */
      pii: PiiPolicySchema.optional(),
      /** Conversation affinity; absent (or `enabled: false`) means none. */
      affinity: AffinitySchema.optional(),
      /** Strategy `learned`: the cost weight, its targets and the exploration cap (strategies/learned.ts). */
      learning: LearningSettingsSchema.optional(),
    })
    .strict(),
);
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

/**
 * A domain's lexicon: terms (words or phrases, any case) with weights. The router scores each
 * domain on the prompt (understanding/extract-features.ts) and infers the strongest one at or
 * above `min_score`.
 */
export const DomainLexiconSchema = z.lazy(() =>
  z
    .object({
      name: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lower-case domain name'),
      terms: z.record(z.string().min(1).max(64), z.number().positive().max(10)).superRefine((terms, ctx) => {
        const keys = Object.keys(terms);
        if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'a domain has at least one term' });
        for (const term of keys) {
          const words = term.split(/[^\p{L}\p{N}_]+/u).filter((w) => w.length > 0).length;
          if (words === 0 || words > 4) {
            ctx.addIssue({
              code: 'custom',
              path: [term],
              message: 'a term is a word or a phrase of at most 4 words (letters or digits)',
            });
          }
        }
      }),
      min_score: z.number().gt(0).max(1).default(0.5),
    })
    .strict(),
);
export type DomainLexicon = z.infer<typeof DomainLexiconSchema>;

export const RegistrySchema = z.lazy(() =>
  z
    .object({
      models: z.array(ModelSchema).default([]),
      endpoints: z.array(EndpointSchema).default([]),
      policies: z.array(PolicySchema).default([]),
      /** Domain lexicons for request understanding (legal, medical, finance, ...). */
      domains: z.array(DomainLexiconSchema).default([]),
    })
    .strict()
    .superRefine((registry, ctx) => {
      const domainNames = new Set<string>();
      registry.domains.forEach((d, i) => {
        if (domainNames.has(d.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['domains', i, 'name'],
            message: `duplicate domain ${d.name}`,
          });
        }
        domainNames.add(d.name);
      });
      const defined = [...domainNames].join(', ') || 'none';
      const modelKeys = new Set<string>();
      const modelIds = new Set<string>();
      registry.models.forEach((m, i) => {
        const key = `${m.id}@${m.version}`;
        if (modelKeys.has(key)) {
          ctx.addIssue({ code: 'custom', path: ['models', i, 'version'], message: `duplicate model ${key}` });
        }
        modelKeys.add(key);
        modelIds.add(m.id);
        if (m.embedding !== undefined && !m.tasks.includes('embedding')) {
          ctx.addIssue({
            code: 'custom',
            path: ['models', i, 'embedding'],
            message: 'embedding settings on a model that does not serve task "embedding"',
          });
        }
        for (const task of Object.keys(m.quality)) {
          if (!m.tasks.includes(task)) {
            ctx.addIssue({
              code: 'custom',
              path: ['models', i, 'quality', task],
              message: `quality prior for task "${task}" that the model does not serve`,
            });
          }
        }
      });
      const endpointIds = new Set<string>();
      registry.endpoints.forEach((e, i) => {
        if (endpointIds.has(e.id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['endpoints', i, 'id'],
            message: `duplicate endpoint ${e.id}`,
          });
        }
        endpointIds.add(e.id);
        if (!modelIds.has(e.model)) {
          ctx.addIssue({
            code: 'custom',
            path: ['endpoints', i, 'model'],
            message: `unknown model "${e.model}"`,
          });
        } else if (!modelKeys.has(`${e.model}@${e.version}`)) {
          ctx.addIssue({
            code: 'custom',
            path: ['endpoints', i, 'version'],
            message: `model "${e.model}" has no version "${e.version}"`,
          });
        }
      });
      const policyNames = new Set<string>();
      registry.policies.forEach((p, i) => {
        if (policyNames.has(p.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['policies', i, 'name'],
            message: `duplicate policy ${p.name}`,
          });
        }
        policyNames.add(p.name);
        p.models?.forEach((m, j) => {
          if (!modelIds.has(m)) {
            ctx.addIssue({
              code: 'custom',
              path: ['policies', i, 'models', j],
              message: `unknown model "${m}"`,
            });
          }
        });
        p.canary.forEach((c, j) => {
          if (!modelKeys.has(`${c.model}@${c.stable}`)) {
            ctx.addIssue({
              code: 'custom',
              path: ['policies', i, 'canary', j, 'stable'],
              message: `unknown model version ${c.model}@${c.stable}`,
            });
          }
          if (c.candidate !== undefined && !modelKeys.has(`${c.model}@${c.candidate}`)) {
            ctx.addIssue({
              code: 'custom',
              path: ['policies', i, 'canary', j, 'candidate'],
              message: `unknown model version ${c.model}@${c.candidate}`,
            });
          }
        });
        for (const d of conditionDomains(p.match.when)) {
          if (!domainNames.has(d)) {
            ctx.addIssue({
              code: 'custom',
              path: ['policies', i, 'match', 'when', 'domain'],
              message: `unknown domain "${d}" (the registry's domains: ${defined})`,
            });
          }
        }
        if (p.infer?.includes('domain') && domainNames.size === 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['policies', i, 'infer'],
            message: 'infers the domain, but the registry defines no domains (add a domains: section)',
          });
        }
        if (p.timeouts.attempt_ms > p.timeouts.deadline_ms) {
          ctx.addIssue({
            code: 'custom',
            path: ['policies', i, 'timeouts', 'attempt_ms'],
            message: 'attempt timeout is longer than the total deadline',
          });
        }
      });
    }),
);
export type Registry = z.infer<typeof RegistrySchema>;
export type RegistryInput = z.input<typeof RegistrySchema>;

/** Renders zod issues as `path.to[0].field: message` lines, the form every caller sees. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, part) =>
          typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
        '',
      );
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
