// The offline evaluation's simulated world: five models with a known (hidden) quality per
// (task, domain, complexity), registry priors that know none of it, and a bundled workload of
// requests whose request features (issue 12's contract) are synthesised from their hidden
// task, domain and complexity with noise. Seeded: the same seed gives the same world.
import type { RegistryInput, RouteRequest } from '../../layers/core/src/index.ts';
import { seededRandom } from '../../layers/core/src/index.ts';
import type { RequestFeatures } from '../../layers/core/src/understanding/features.types.ts';

export const TASKS = ['classify', 'extract', 'summarize', 'translate', 'question', 'code'] as const;
export type EvalTask = (typeof TASKS)[number];
export const DOMAINS = ['general', 'legal', 'medical'] as const;
export type EvalDomain = (typeof DOMAINS)[number];

/** How hard each task is at complexity 1 (scaled by 0.25 + 0.75 · complexity). */
const TASK_HARDNESS: Record<EvalTask, number> = {
  classify: 0.2,
  extract: 0.3,
  summarize: 0.4,
  translate: 0.5,
  question: 0.8,
  code: 1,
};
/** The workload's task mix (shares sum to 1). */
const TASK_MIX: Record<EvalTask, number> = {
  classify: 0.25,
  extract: 0.15,
  summarize: 0.2,
  translate: 0.1,
  question: 0.2,
  code: 0.1,
};
const DOMAIN_MIX: Record<EvalDomain, number> = { general: 0.7, legal: 0.15, medical: 0.15 };

export interface SimModel {
  id: string;
  /** Per 1K tokens, USD. */
  input_per_1k: number;
  output_per_1k: number;
  /** The registry's quality prior: one number, as platform teams set them. */
  prior: number;
  /** Hidden: quality on the easiest request. */
  ceiling: number;
  /** Hidden: quality lost per unit of hardness (per task when listed). */
  weakness: number;
  taskWeakness?: Partial<Record<EvalTask, number>>;
  /** Hidden: quality lost on legal and medical requests. */
  domainPenalty: number;
}

export const MODELS: readonly SimModel[] = [
  {
    id: 'frontier-xl',
    input_per_1k: 0.01,
    output_per_1k: 0.03,
    prior: 0.9,
    ceiling: 0.95,
    weakness: 0.08,
    domainPenalty: 0.02,
  },
  {
    id: 'large',
    input_per_1k: 0.003,
    output_per_1k: 0.006,
    prior: 0.85,
    ceiling: 0.93,
    weakness: 0.18,
    domainPenalty: 0.05,
  },
  {
    id: 'coder-m',
    input_per_1k: 0.0008,
    output_per_1k: 0.0016,
    prior: 0.75,
    ceiling: 0.86,
    weakness: 0.45,
    taskWeakness: { code: 0.05 },
    domainPenalty: 0.1,
  },
  {
    id: 'small',
    input_per_1k: 0.0003,
    output_per_1k: 0.0006,
    prior: 0.75,
    ceiling: 0.92,
    weakness: 0.45,
    domainPenalty: 0.2,
  },
  {
    id: 'nano',
    input_per_1k: 0.00005,
    output_per_1k: 0.0001,
    prior: 0.6,
    ceiling: 0.88,
    weakness: 0.9,
    domainPenalty: 0.3,
  },
];

/** The hidden truth: expected quality of `model` on a request. */
export function trueQuality(model: SimModel, r: Pick<EvalRequest, 'task' | 'domain' | 'complexity'>): number {
  const hardness = TASK_HARDNESS[r.task] * (0.25 + 0.75 * r.complexity);
  const weakness = model.taskWeakness?.[r.task] ?? model.weakness;
  const q = model.ceiling - hardness * weakness - (r.domain === 'general' ? 0 : model.domainPenalty);
  return Math.min(1, Math.max(0, q));
}

export const costOf = (model: SimModel, r: Pick<EvalRequest, 'prompt_tokens' | 'output_tokens'>): number =>
  (r.prompt_tokens / 1000) * model.input_per_1k + (r.output_tokens / 1000) * model.output_per_1k;

/** The registry the eval routes with: one endpoint per model, a learned policy on `auto`. */
export function evalRegistry(policy: { strategy: string; learning?: Record<string, number> }): RegistryInput {
  return {
    models: MODELS.map((m) => ({
      id: m.id,
      version: 'v1',
      tasks: ['chat'],
      context_window: 131_072,
      regions: ['us-east-1'],
      cost: { input_per_1k: m.input_per_1k, output_per_1k: m.output_per_1k },
      quality: { chat: m.prior },
    })),
    endpoints: MODELS.map((m) => ({
      id: `${m.id}-1`,
      model: m.id,
      version: 'v1',
      kind: 'openai-http' as const,
      target: `http://${m.id}.sim/v1`,
      region: 'us-east-1',
    })),
    policies: [
      {
        name: 'auto',
        match: { model: 'auto' },
        strategy: policy.strategy as 'learned',
        ...(policy.learning ? { learning: policy.learning } : {}),
        fallback: { count: 1, mode: 'cross-model' as const },
      },
    ],
  };
}

export interface EvalRequest {
  task: EvalTask;
  domain: EvalDomain;
  complexity: number;
  prompt_tokens: number;
  output_tokens: number;
  features: RequestFeatures;
}

function pick<K extends string>(mix: Record<K, number>, u: number): K {
  let acc = 0;
  const keys = Object.keys(mix) as K[];
  for (const k of keys) {
    acc += mix[k];
    if (u < acc) return k;
  }
  return keys[keys.length - 1] as K;
}

/** `count` requests of the bundled workload. */
export function workload(count: number, seed: number): EvalRequest[] {
  const r = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const task = pick(TASK_MIX, r());
    const domain = pick(DOMAIN_MIX, r());
    const complexity = r();
    const prompt_tokens = Math.round(150 + complexity * 2500 + r() * 300);
    const output_tokens = Math.round(80 + complexity * 400);
    const noisy = (v: number, sd = 0.1) => Math.min(1, Math.max(0, v + (r() - 0.5) * 2 * sd));
    const tasks: RequestFeatures['tasks'] = {};
    for (const t of TASKS) {
      const signal = t === task ? 0.6 + 0.4 * r() : r() < 0.3 ? 0.15 * r() : 0;
      if (signal > 0) tasks[t] = signal;
    }
    const features: RequestFeatures = {
      tokens: prompt_tokens,
      chars: prompt_tokens * 4,
      turns: 1 + Math.floor(r() * 3),
      script: 'latin',
      language: 'en',
      code: task === 'code' ? 0.5 + 0.5 * r() : 0.1 * r(),
      math: task === 'question' ? complexity * r() : 0.05 * r(),
      questions: task === 'question' ? 1 + Math.floor(r() * 3) : 0,
      steps: Math.floor(complexity * 4 * r()),
      tasks,
      task,
      domains: {
        legal: domain === 'legal' ? 0.6 + 0.4 * r() : 0.1 * r(),
        medical: domain === 'medical' ? 0.6 + 0.4 * r() : 0.1 * r(),
      },
      ...(domain === 'general' ? {} : { domain }),
      complexity: noisy(complexity),
    };
    return { task, domain, complexity, prompt_tokens, output_tokens, features };
  });
}

/** The core's request for one workload entry. */
export const routeRequestOf = (e: EvalRequest): RouteRequest => ({
  model: 'auto',
  task: 'chat',
  prompt_tokens: e.prompt_tokens,
  max_output_tokens: e.output_tokens,
  tenant: { id: 'eval' },
  hints: {},
  features: e.features,
});

/** Feedback drawn from the truth with noise: a score in [0, 1]. */
export function feedbackScore(quality: number, u1: number, u2: number): number {
  // Sum of two uniforms: a triangular noise of ±0.15 around the true quality.
  return Math.min(1, Math.max(0, quality + (u1 + u2 - 1) * 0.15));
}
