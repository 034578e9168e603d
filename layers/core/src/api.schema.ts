// The public API's task invocation body and the routing hints a caller may attach, as zod
// schemas (the chat completion body is in chat.schema.ts). Handlers parse with these.
import * as z from 'zod';
import { DataClassificationSchema, TaskSchema } from './registry.schema.ts';

export const PrioritySchema = z.lazy(() => z.enum(['high', 'normal', 'low']));
export type Priority = z.infer<typeof PrioritySchema>;

export const EnsembleHintSchema = z.lazy(() =>
  z.union([
    z.boolean(),
    z
      .object({
        size: z.number().int().min(2).max(5).optional(),
        combine: z.enum(['first-success', 'majority-vote', 'best-score']).optional(),
      })
      .strict(),
  ]),
);

/** Routing hints: the `x-switchyard` body object, or the equivalent `x-switchyard-*` headers. */
export const RoutingHintsSchema = z.lazy(() =>
  z
    .object({
      task: TaskSchema.optional(),
      domain: z.string().min(1).max(64).optional(),
      priority: PrioritySchema.optional(),
      max_cost_usd: z.number().positive().optional(),
      max_latency_ms: z.number().positive().optional(),
      data_classification: DataClassificationSchema.optional(),
      region: z.string().min(1).max(64).optional(),
      sticky_key: z.string().min(1).max(256).optional(),
      ensemble: EnsembleHintSchema.optional(),
    })
    .strict(),
);
export type RoutingHints = z.infer<typeof RoutingHintsSchema>;

/** Header names (lower case) that carry a hint, and the hint they carry. */
export const HINT_HEADERS = {
  'x-switchyard-task': 'task',
  'x-switchyard-domain': 'domain',
  'x-switchyard-priority': 'priority',
  'x-switchyard-max-cost-usd': 'max_cost_usd',
  'x-switchyard-max-latency-ms': 'max_latency_ms',
  'x-switchyard-data-classification': 'data_classification',
  'x-switchyard-region': 'region',
  'x-switchyard-sticky-key': 'sticky_key',
  'x-switchyard-ensemble': 'ensemble',
} as const satisfies Record<string, keyof RoutingHints>;

/** A non-LLM task invocation: `POST /v1/invocations`. Without `model` it is routed by task (policy-match.ts). */
export const InvocationRequestSchema = z.lazy(() =>
  z
    .object({
      model: z.string().min(1).max(256).optional(),
      task: TaskSchema,
      payload: z.unknown().refine((v) => v !== undefined, 'payload is required'),
      'x-switchyard': RoutingHintsSchema.optional(),
    })
    .strict(),
);
export type InvocationRequest = z.infer<typeof InvocationRequestSchema>;

/** OpenAI chat completion response (the fields Switchyard reads or writes). */
export interface ChatCompletionResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; [key: string]: unknown };
    finish_reason: string | null;
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  [key: string]: unknown;
}
