// The OpenAI chat completion request body as zod schemas, checked against the shapes of the
// OpenAI API reference (the `openai` package's ChatCompletionCreateParams): messages by role,
// content parts, tool calls, tools and tool_choice, response_format, the sampling numbers and
// their ranges, and `null` wherever OpenAI accepts it (`.nullish()` for `field?: T | null`).
// Known fields are validated; unknown ones (vLLM and TGI have extras such as `top_k` or
// `guided_json`) pass through to the upstream.
import * as z from 'zod';
import { RoutingHintsSchema } from './api.schema.ts';

/** Function, tool and response-format names: a-z, A-Z, 0-9, underscores and dashes, at most 64. */
const NameSchema = z.lazy(() =>
  z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1 to 64 characters of a-z, A-Z, 0-9, underscores and dashes'),
);
/** A JSON object (function parameters, JSON schemas). */
const JsonObjectSchema = z.lazy(() => z.record(z.string(), z.unknown()));

const CacheBreakpointSchema = z.lazy(() =>
  z.object({ mode: z.literal('explicit'), ttl: z.enum(['30m', '12h']).optional() }).loose(),
);

export const TextPartSchema = z.lazy(() =>
  z
    .object({
      type: z.literal('text'),
      text: z.string(),
      prompt_cache_breakpoint: CacheBreakpointSchema.optional(),
    })
    .loose(),
);
const ImagePartSchema = z.lazy(() =>
  z
    .object({
      type: z.literal('image_url'),
      image_url: z
        .object({
          url: z.string().min(1),
          detail: z.enum(['auto', 'low', 'high', 'original']).optional(),
        })
        .loose(),
      prompt_cache_breakpoint: CacheBreakpointSchema.optional(),
    })
    .loose(),
);
const AudioPartSchema = z.lazy(() =>
  z
    .object({
      type: z.literal('input_audio'),
      input_audio: z.object({ data: z.string(), format: z.enum(['wav', 'mp3']) }).loose(),
      prompt_cache_breakpoint: CacheBreakpointSchema.optional(),
    })
    .loose(),
);
const FilePartSchema = z.lazy(() =>
  z
    .object({
      type: z.literal('file'),
      file: z
        .object({
          file_data: z.string().optional(),
          file_id: z.string().optional(),
          filename: z.string().optional(),
        })
        .loose(),
      prompt_cache_breakpoint: CacheBreakpointSchema.optional(),
    })
    .loose(),
);
const RefusalPartSchema = z.lazy(() => z.object({ type: z.literal('refusal'), refusal: z.string() }).loose());

/** A part of a user message: text, image, audio or file. */
export const UserContentPartSchema = z.lazy(() =>
  z.discriminatedUnion('type', [TextPartSchema, ImagePartSchema, AudioPartSchema, FilePartSchema]),
);
export type ContentPart = z.infer<typeof UserContentPartSchema> | z.infer<typeof RefusalPartSchema>;

const TextContentSchema = z.lazy(() => z.union([z.string(), z.array(TextPartSchema)]));

export const ToolCallSchema = z.lazy(() =>
  z.discriminatedUnion('type', [
    z
      .object({
        id: z.string(),
        type: z.literal('function'),
        function: z.object({ name: z.string(), arguments: z.string() }).loose(),
      })
      .loose(),
    z
      .object({
        id: z.string(),
        type: z.literal('custom'),
        custom: z.object({ name: z.string(), input: z.string() }).loose(),
      })
      .loose(),
  ]),
);

const SystemMessageSchema = z.lazy(() =>
  z.object({ role: z.literal('system'), content: TextContentSchema, name: z.string().optional() }).loose(),
);
const DeveloperMessageSchema = z.lazy(() =>
  z.object({ role: z.literal('developer'), content: TextContentSchema, name: z.string().optional() }).loose(),
);
const UserMessageSchema = z.lazy(() =>
  z
    .object({
      role: z.literal('user'),
      content: z.union([z.string(), z.array(UserContentPartSchema)]),
      name: z.string().optional(),
    })
    .loose(),
);
const AssistantMessageSchema = z.lazy(() =>
  z
    .object({
      role: z.literal('assistant'),
      content: z
        .union([z.string(), z.array(z.discriminatedUnion('type', [TextPartSchema, RefusalPartSchema]))])
        .nullish(),
      name: z.string().optional(),
      refusal: z.string().nullish(),
      tool_calls: z.array(ToolCallSchema).optional(),
      function_call: z.object({ name: z.string(), arguments: z.string() }).loose().nullish(),
      audio: z.object({ id: z.string() }).loose().nullish(),
    })
    .loose(),
);
const ToolMessageSchema = z.lazy(() =>
  z.object({ role: z.literal('tool'), content: TextContentSchema, tool_call_id: z.string() }).loose(),
);
const FunctionMessageSchema = z.lazy(() =>
  z
    .object({ role: z.literal('function'), content: z.union([z.string(), z.null()]), name: z.string() })
    .loose(),
);

export const ChatMessageSchema = z.lazy(() =>
  z.discriminatedUnion('role', [
    SystemMessageSchema,
    DeveloperMessageSchema,
    UserMessageSchema,
    AssistantMessageSchema,
    ToolMessageSchema,
    FunctionMessageSchema,
  ]),
);
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const ToolSchema = z.lazy(() =>
  z.discriminatedUnion('type', [
    z
      .object({
        type: z.literal('function'),
        function: z
          .object({
            name: NameSchema,
            description: z.string().optional(),
            parameters: JsonObjectSchema.optional(),
            strict: z.boolean().nullish(),
          })
          .loose(),
      })
      .loose(),
    z
      .object({
        type: z.literal('custom'),
        custom: z
          .object({
            name: NameSchema,
            description: z.string().optional(),
            format: z
              .discriminatedUnion('type', [
                z.object({ type: z.literal('text') }).loose(),
                z
                  .object({
                    type: z.literal('grammar'),
                    grammar: z.object({ definition: z.string(), syntax: z.enum(['lark', 'regex']) }).loose(),
                  })
                  .loose(),
              ])
              .optional(),
          })
          .loose(),
      })
      .loose(),
  ]),
);

export const ToolChoiceSchema = z.lazy(() =>
  z.union([
    z.enum(['none', 'auto', 'required']),
    z.discriminatedUnion('type', [
      z.object({ type: z.literal('function'), function: z.object({ name: z.string() }).loose() }).loose(),
      z.object({ type: z.literal('custom'), custom: z.object({ name: z.string() }).loose() }).loose(),
      z
        .object({
          type: z.literal('allowed_tools'),
          allowed_tools: z
            .object({ mode: z.enum(['auto', 'required']), tools: z.array(JsonObjectSchema) })
            .loose(),
        })
        .loose(),
    ]),
  ]),
);

export const ResponseFormatSchema = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('text') }).loose(),
    z.object({ type: z.literal('json_object') }).loose(),
    z
      .object({
        type: z.literal('json_schema'),
        json_schema: z
          .object({
            name: NameSchema,
            description: z.string().optional(),
            schema: JsonObjectSchema.optional(),
            strict: z.boolean().nullish(),
          })
          .loose(),
      })
      .loose(),
  ]),
);

/** The largest chat `n` OpenAI accepts. */
export const MAX_CHAT_CHOICES = 128;

const PenaltySchema = z.lazy(() => z.number().min(-2).max(2));

/** OpenAI chat completion request. Unknown fields pass through to the upstream. */
export const ChatCompletionRequestSchema = z.lazy(() =>
  z
    .object({
      model: z.string().min(1, 'model is required').max(256),
      messages: z.array(ChatMessageSchema).min(1, 'messages must contain at least one message'),
      max_tokens: z.number().int().positive().nullish(),
      max_completion_tokens: z.number().int().positive().nullish(),
      temperature: z.number().min(0).max(2).nullish(),
      top_p: z.number().min(0).max(1).nullish(),
      /** Choices to generate: above 1 only endpoints with `supports_n` are eligible (route rule n-choices). */
      n: z.number().int().min(1).max(MAX_CHAT_CHOICES).nullish(),
      stream: z.boolean().nullish(),
      stream_options: z
        .object({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() })
        .loose()
        .nullish(),
      stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
      frequency_penalty: PenaltySchema.nullish(),
      presence_penalty: PenaltySchema.nullish(),
      logit_bias: z
        .record(z.string().regex(/^\d+$/, 'keys must be token ids'), z.number().min(-100).max(100))
        .nullish(),
      logprobs: z.boolean().nullish(),
      top_logprobs: z.number().int().min(0).max(20).nullish(),
      seed: z.number().int().nullish(),
      tools: z.array(ToolSchema).optional(),
      tool_choice: ToolChoiceSchema.optional(),
      parallel_tool_calls: z.boolean().optional(),
      functions: z
        .array(
          z
            .object({
              name: NameSchema,
              description: z.string().optional(),
              parameters: JsonObjectSchema.optional(),
            })
            .loose(),
        )
        .optional(),
      function_call: z.union([z.enum(['none', 'auto']), z.object({ name: z.string() }).loose()]).optional(),
      response_format: ResponseFormatSchema.optional(),
      metadata: z
        .record(z.string().max(64), z.string().max(512))
        .refine((m) => Object.keys(m).length <= 16, 'at most 16 key-value pairs')
        .nullish(),
      modalities: z.array(z.enum(['text', 'audio'])).nullish(),
      audio: z
        .object({
          format: z.enum(['wav', 'aac', 'mp3', 'flac', 'opus', 'pcm16']),
          voice: z.union([z.string(), z.object({ id: z.string() }).loose()]),
        })
        .loose()
        .nullish(),
      prediction: z
        .object({ type: z.literal('content'), content: TextContentSchema })
        .loose()
        .nullish(),
      reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']).nullish(),
      verbosity: z.enum(['low', 'medium', 'high']).nullish(),
      service_tier: z.enum(['auto', 'default', 'flex', 'scale', 'priority', 'fast']).nullish(),
      store: z.boolean().nullish(),
      user: z.string().max(256).optional(),
      safety_identifier: z.string().max(128).nullish(),
      prompt_cache_key: z.string().nullish(),
      prompt_cache_retention: z.enum(['in_memory', '24h']).nullish(),
      'x-switchyard': RoutingHintsSchema.optional(),
    })
    .loose()
    .superRefine((body, ctx) => {
      const problem = (path: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: [path], message });
      if (body.top_logprobs !== undefined && body.top_logprobs !== null && body.logprobs !== true) {
        problem('top_logprobs', 'top_logprobs needs "logprobs": true');
      }
      if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
        problem('stream_options', 'stream_options is only allowed with "stream": true');
      }
      const choice = body.tool_choice;
      const tools = body.tools ?? [];
      if (choice === 'required' && tools.length === 0) {
        problem('tool_choice', 'tool_choice "required" needs at least one tool in "tools"');
      }
      if (typeof choice === 'object') {
        const named =
          choice.type === 'function'
            ? choice.function.name
            : choice.type === 'custom'
              ? choice.custom.name
              : undefined;
        const known = tools.some((t) => (t.type === 'function' ? t.function.name : t.custom.name) === named);
        if (named !== undefined && !known)
          problem('tool_choice', `tool_choice names "${named}", which is not in "tools"`);
      }
    }),
);
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;
