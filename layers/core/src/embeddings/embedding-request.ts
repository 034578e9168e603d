// The embeddings route's pure steps: the core's RouteRequest from an embeddings body (task
// `embedding`, tokens counted per input, the longest one checked against context windows,
// `dimensions` a constraint), the call sent upstream, and the OpenAI answer built from the
// vectors an upstream returned (float arrays or base64 float32, usage from the upstream or the
// counted tokens).
import { mergeHints } from '../hints.ts';
import type { RouteRequest, TenantContext } from '../route.types.ts';
import { encodeEmbeddingBase64 } from './embedding-encoding.ts';
import type { EmbeddingEncoding, EmbeddingsRequest } from './embeddings.schema.ts';
import { embeddingInputTokens } from './embeddings.schema.ts';

export const EMBEDDING_TASK = 'embedding';

/** What goes upstream: the inputs as a list, `dimensions` and `user` when set, unknown fields as sent. */
export interface EmbeddingUpstreamBody {
  input: string[] | number[][];
  dimensions?: number;
  user?: string;
  [extra: string]: unknown;
}

/** What an inference client returns for an embedding call: one vector per input, in input order. */
export interface EmbeddingVectors {
  vectors: number[][];
}

export function embeddingRouteRequest(
  body: EmbeddingsRequest,
  headers: Record<string, string>,
  tenant: TenantContext,
): RouteRequest {
  const hints = mergeHints(body['x-switchyard'], headers);
  const tokens = embeddingInputTokens(body.input);
  return {
    model: body.model,
    task: EMBEDDING_TASK,
    prompt_tokens: tokens.reduce((a, b) => a + b, 0),
    max_output_tokens: 0,
    // Each input is embedded on its own: the longest must fit the context window.
    context_tokens: Math.max(...tokens),
    tenant,
    hints: { ...hints, task: EMBEDDING_TASK },
    headers,
    ...(body.user ? { user: body.user } : {}),
    ...(typeof body.dimensions === 'number' ? { dimensions: body.dimensions } : {}),
  };
}

/** The upstream body: hints, the model name and the encoding are the router's business. */
export function embeddingUpstreamBody(body: EmbeddingsRequest): EmbeddingUpstreamBody {
  const {
    'x-switchyard': _hints,
    model: _model,
    encoding_format: _format,
    input,
    dimensions,
    user,
    ...extra
  } = body;
  return {
    ...extra,
    input: input.inputs,
    ...(typeof dimensions === 'number' ? { dimensions } : {}),
    ...(user !== undefined ? { user } : {}),
  };
}

export interface EmbeddingsAnswer {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/**
 * The OpenAI answer: one `embedding` per input in input order, as floats or base64; usage from
 * the upstream's `prompt_tokens` when it reported them, else the counted ones.
 */
export function embeddingsAnswer(input: {
  vectors: readonly number[][];
  model: string;
  encoding: EmbeddingEncoding | null | undefined;
  upstreamPromptTokens: number | undefined;
  countedTokens: number;
}): EmbeddingsAnswer {
  const base64 = input.encoding === 'base64';
  const prompt_tokens = input.upstreamPromptTokens ?? input.countedTokens;
  return {
    object: 'list',
    data: input.vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? encodeEmbeddingBase64(v) : v,
    })),
    model: input.model,
    usage: { prompt_tokens, total_tokens: prompt_tokens },
  };
}
