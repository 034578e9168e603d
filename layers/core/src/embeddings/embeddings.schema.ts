// The OpenAI embeddings request body (`POST /v1/embeddings`) as a zod schema, with OpenAI's
// limits: `input` is a non-empty string, an array of them, an array of token ids (one input) or
// an array of token arrays; at most 2048 inputs, no empty string or array, token ids integers in
// 0..2^31-1, at most 300,000 (estimated) tokens in all. `encoding_format` float or base64,
// `dimensions` 1..65536, `user`. The input check names the exact element (`input.3`,
// `input.2.0`) and says what was expected; unknown fields pass through to OpenAI-compatible
// upstreams as chat's do.
import * as z from 'zod';
import { RoutingHintsSchema } from '../api.schema.ts';
import { MAX_EMBEDDING_DIMENSIONS } from '../registry.schema.ts';
import { estimateTextTokens } from '../tokens.ts';

/** Inputs one request may embed (OpenAI's limit, also for the elements of one token array). */
export const MAX_EMBEDDING_INPUTS = 2048;
/** Tokens one request may embed in all (OpenAI's limit), as estimated (tokens.ts). */
export const MAX_EMBEDDING_REQUEST_TOKENS = 300_000;
/** The largest token id accepted (a 32-bit signed integer, as model servers read them). */
export const MAX_TOKEN_ID = 2_147_483_647;

export const EMBEDDING_ENCODINGS = ['float', 'base64'] as const;
export type EmbeddingEncoding = (typeof EMBEDDING_ENCODINGS)[number];

/** The inputs of one request, one kind for all of them. */
export type EmbeddingInputs = { kind: 'text'; inputs: string[] } | { kind: 'tokens'; inputs: number[][] };

const EXPECTED =
  'expected a string, an array of strings, an array of token ids (integers) or an array of token arrays';

type Problem = { path: number[]; message: string };

const isTokenId = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TOKEN_ID;

function tokenProblem(v: unknown, path: number[]): Problem {
  return {
    path,
    message:
      typeof v === 'number'
        ? `a token id must be an integer from 0 to ${MAX_TOKEN_ID}, got ${v}`
        : `expected a token id (integer), got ${describe(v)}`,
  };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** The inputs, or the first problem with them (path below `input`). */
export function checkEmbeddingInput(value: unknown): EmbeddingInputs | Problem {
  if (value === undefined) return { path: [], message: 'input is required' };
  if (typeof value === 'string') {
    return value.length === 0
      ? { path: [], message: 'must not be an empty string' }
      : { kind: 'text', inputs: [value] };
  }
  if (!Array.isArray(value)) return { path: [], message: `${EXPECTED}, got ${describe(value)}` };
  if (value.length === 0) return { path: [], message: 'must not be an empty array' };
  if (value.length > MAX_EMBEDDING_INPUTS) {
    return {
      path: [],
      message: `at most ${MAX_EMBEDDING_INPUTS} inputs (or tokens in one token array), got ${value.length}`,
    };
  }
  const first: unknown = value[0];
  if (typeof first === 'string') {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v !== 'string')
        return { path: [i], message: `expected a string like input.0, got ${describe(v)}` };
      if (v.length === 0) return { path: [i], message: 'must not be an empty string' };
    }
    return { kind: 'text', inputs: value as string[] };
  }
  if (typeof first === 'number') {
    for (let i = 0; i < value.length; i++) if (!isTokenId(value[i])) return tokenProblem(value[i], [i]);
    return { kind: 'tokens', inputs: [value as number[]] };
  }
  if (Array.isArray(first)) {
    for (let i = 0; i < value.length; i++) {
      const tokens: unknown = value[i];
      if (!Array.isArray(tokens))
        return { path: [i], message: `expected a token array like input.0, got ${describe(tokens)}` };
      if (tokens.length === 0) return { path: [i], message: 'must not be an empty token array' };
      for (let j = 0; j < tokens.length; j++)
        if (!isTokenId(tokens[j])) return tokenProblem(tokens[j], [i, j]);
    }
    return { kind: 'tokens', inputs: value as number[][] };
  }
  return { path: [0], message: `${EXPECTED}, got an array of ${describe(first)}` };
}

/** Estimated tokens of each input: text by tokens.ts, token arrays by their length. */
export function embeddingInputTokens(inputs: EmbeddingInputs): number[] {
  return inputs.kind === 'text' ? inputs.inputs.map(estimateTextTokens) : inputs.inputs.map((t) => t.length);
}

const EmbeddingInputSchema = z.lazy(() =>
  z.unknown().transform((value, ctx): EmbeddingInputs => {
    const checked = checkEmbeddingInput(value);
    if ('path' in checked) {
      ctx.addIssue({ code: 'custom', path: checked.path, message: checked.message });
      return z.NEVER;
    }
    const total = embeddingInputTokens(checked).reduce((a, b) => a + b, 0);
    if (total > MAX_EMBEDDING_REQUEST_TOKENS) {
      ctx.addIssue({
        code: 'custom',
        message: `at most ${MAX_EMBEDDING_REQUEST_TOKENS} tokens in all inputs of one request, got ~${total}`,
      });
      return z.NEVER;
    }
    return checked;
  }),
);

/** OpenAI embeddings request. `input` parses to its inputs by kind; unknown fields pass through. */
export const EmbeddingsRequestSchema = z.lazy(() =>
  z
    .object({
      model: z.string().min(1, 'model is required').max(256),
      input: EmbeddingInputSchema,
      encoding_format: z.enum(EMBEDDING_ENCODINGS).nullish(),
      dimensions: z.number().int().min(1).max(MAX_EMBEDDING_DIMENSIONS).nullish(),
      user: z.string().max(256).optional(),
      'x-switchyard': RoutingHintsSchema.optional(),
    })
    .loose(),
);
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;
