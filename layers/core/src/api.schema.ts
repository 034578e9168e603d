// The public API's request bodies (OpenAI-compatible chat completions, task invocations) and
// the routing hints a caller may attach, as zod schemas. Handlers parse with these.
import { z } from 'zod';
import { DataClassificationSchema, TaskSchema } from './registry.schema.ts';

export const PrioritySchema = z.enum(['high', 'normal', 'low']);
export type Priority = z.infer<typeof PrioritySchema>;

export const EnsembleHintSchema = z.union([
  z.boolean(),
  z
    .object({
      size: z.number().int().min(2).max(5).optional(),
      combine: z.enum(['first-success', 'majority-vote', 'best-score']).optional(),
    })
    .strict(),
]);

/** Routing hints: the `x-switchyard` body object, or the equivalent `x-switchyard-*` headers. */
export const RoutingHintsSchema = z
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
  .strict();
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

const ContentPartSchema = z
  .object({ type: z.string().min(1) })
  .loose()
  .describe('a content part such as {"type":"text","text":"..."}');

export const ChatMessageSchema = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: z.union([z.string(), z.array(ContentPartSchema), z.null()]).optional(),
    name: z.string().optional(),
    tool_calls: z.array(z.unknown()).optional(),
    tool_call_id: z.string().optional(),
  })
  .loose();
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** OpenAI chat completion request. Unknown OpenAI fields pass through to the upstream. */
export const ChatCompletionRequestSchema = z
  .object({
    model: z.string().min(1, 'model is required').max(256),
    messages: z.array(ChatMessageSchema).min(1, 'messages must contain at least one message'),
    max_tokens: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    n: z.number().int().min(1).max(1, 'n > 1 is not supported').optional(),
    stream: z.boolean().optional(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
    user: z.string().max(256).optional(),
    'x-switchyard': RoutingHintsSchema.optional(),
  })
  .loose();
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

/** A non-LLM task invocation: `POST /v1/invocations`. Without `model` it is routed by task (policy-match.ts). */
export const InvocationRequestSchema = z
  .object({
    model: z.string().min(1).max(256).optional(),
    task: TaskSchema,
    payload: z.unknown().refine((v) => v !== undefined, 'payload is required'),
    'x-switchyard': RoutingHintsSchema.optional(),
  })
  .strict();
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
