// The OpenAI legacy completions request body (`POST /v1/completions`) as a zod schema, after the
// `openai` package's CompletionCreateParams: a prompt (string, string array, token array or array
// of token arrays), the sampling numbers and their ranges, `stream` with `stream_options`, and
// `null` wherever OpenAI accepts it. Unknown fields pass through to the upstream (vLLM extras).
import * as z from 'zod';
import { RoutingHintsSchema } from './api.schema.ts';

const TokenArraySchema = z.lazy(() =>
  z.array(z.number().int().nonnegative()).min(1, 'a token array is not empty'),
);
const PenaltySchema = z.lazy(() => z.number().min(-2).max(2));

export const CompletionPromptSchema = z.lazy(() =>
  z.union([
    z.string(),
    z.array(z.string()).min(1, 'prompt must contain at least one string'),
    TokenArraySchema,
    z.array(TokenArraySchema).min(1, 'prompt must contain at least one token array'),
  ]),
);

/** OpenAI completion request. Unknown fields pass through to the upstream. */
export const CompletionRequestSchema = z.lazy(() =>
  z
    .object({
      model: z.string().min(1, 'model is required').max(256),
      prompt: CompletionPromptSchema,
      suffix: z.string().nullish(),
      max_tokens: z.number().int().positive().nullish(),
      temperature: z.number().min(0).max(2).nullish(),
      top_p: z.number().min(0).max(1).nullish(),
      n: z.number().int().min(1).max(1, 'n > 1 is not supported for completions').nullish(),
      best_of: z.number().int().min(1).max(20).nullish(),
      stream: z.boolean().nullish(),
      stream_options: z
        .object({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() })
        .loose()
        .nullish(),
      logprobs: z.number().int().min(0).max(5).nullish(),
      echo: z.boolean().nullish(),
      stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
      presence_penalty: PenaltySchema.nullish(),
      frequency_penalty: PenaltySchema.nullish(),
      logit_bias: z
        .record(z.string().regex(/^\d+$/, 'keys must be token ids'), z.number().min(-100).max(100))
        .nullish(),
      seed: z.number().int().nullish(),
      user: z.string().max(256).optional(),
      'x-switchyard': RoutingHintsSchema.optional(),
    })
    .loose()
    .superRefine((body, ctx) => {
      if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
        ctx.addIssue({
          code: 'custom',
          path: ['stream_options'],
          message: 'stream_options is only allowed with "stream": true',
        });
      }
      if (typeof body.best_of === 'number' && typeof body.n === 'number' && body.best_of < body.n) {
        ctx.addIssue({ code: 'custom', path: ['best_of'], message: 'best_of must be at least n' });
      }
      if (body.stream === true && typeof body.best_of === 'number' && body.best_of > 1) {
        ctx.addIssue({ code: 'custom', path: ['best_of'], message: 'best_of > 1 cannot be streamed' });
      }
    }),
);
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

/** The prompt's texts (token arrays count by their length in the estimates, see route-request.ts). */
export function promptTexts(prompt: CompletionRequest['prompt']): string[] {
  if (typeof prompt === 'string') return [prompt];
  return (prompt as ReadonlyArray<unknown>).filter((p): p is string => typeof p === 'string');
}

/** Number of prompts a completion request holds (one choice is answered per prompt). */
export function promptCount(prompt: CompletionRequest['prompt']): number {
  if (typeof prompt === 'string') return 1;
  const first = (prompt as ReadonlyArray<unknown>)[0];
  return typeof first === 'number' ? 1 : prompt.length;
}
