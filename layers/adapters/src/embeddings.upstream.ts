// Embedding calls on both endpoint kinds: the request bodies, and the vectors read back from the
// answers the common servers give, checked (one finite vector per input, of the length asked).
// Requests:
// - openai-http: `POST {target}/embeddings` with `{model, input: [...], encoding_format: "float"}`,
//   the caller's unknown fields, `user`, and `dimensions` only when it differs from the model's
//   own length (vLLM refuses `dimensions` for models that are not Matryoshka, even the native one);
// - sagemaker: InvokeEndpoint with `{"inputs": [...]}` (strings or token-id arrays), the payload
//   of Hugging Face's Text Embeddings Inference (TEI) `/embed` and the HF inference containers.
//   `dimensions` is not sent: SageMaker containers have no common field for it.
// Answers read (either kind): OpenAI's `{data: [{index, embedding}], usage}` (embedding floats or
// base64 float32), a bare array of vectors (TEI, HF), `{embeddings: [...]}` or `{embedding: [...]}`.
// Vectors longer than the `dimensions` asked are shortened and re-normalised to unit length (the
// Matryoshka truncation OpenAI describes for text-embedding-3), which routing allows only for
// models that accept a smaller `dimensions`; any other mismatch is an `invalid-response`, so the
// next fallback serves.
import type { EmbeddingUpstreamBody, EmbeddingVectors, InferenceResult, PlanTarget } from '@switchyard/core';
import { decodeEmbeddingBase64, UpstreamError } from '@switchyard/core';
import { usageOf } from './chat-completion.ts';

/** Whether `dimensions` goes upstream: asked, and not the model's own length. */
export function sendsDimensions(target: PlanTarget, body: EmbeddingUpstreamBody): boolean {
  return body.dimensions !== undefined && body.dimensions !== target.embedding?.dimensions;
}

/** The OpenAI embeddings body for an OpenAI-compatible server. */
export function openAiEmbeddingsBody(
  target: PlanTarget,
  body: EmbeddingUpstreamBody,
): Record<string, unknown> {
  const { dimensions, ...rest } = body;
  return {
    ...rest,
    model: target.upstream_model,
    encoding_format: 'float',
    ...(sendsDimensions(target, body) ? { dimensions } : {}),
  };
}

/** The TEI/HF `{"inputs": [...]}` payload for a SageMaker endpoint. */
export function sageMakerEmbeddingsBody(body: EmbeddingUpstreamBody): { inputs: string[] | number[][] } {
  return { inputs: body.input };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The list of raw vectors in an answer, in input order, or a reason it has none. */
function rawVectors(answer: unknown): unknown[] | string {
  if (Array.isArray(answer)) return answer;
  if (!isRecord(answer)) return 'the answer is not a JSON object or array';
  if (Array.isArray(answer.data)) {
    const items = answer.data;
    if (!items.every((d) => isRecord(d) && 'embedding' in d)) return 'an element of data has no embedding';
    const indexed = items.every((d) => typeof (d as Record<string, unknown>).index === 'number');
    const ordered = indexed
      ? [...items].sort((a, b) => (a as { index: number }).index - (b as { index: number }).index)
      : items;
    return ordered.map((d) => (d as Record<string, unknown>).embedding);
  }
  for (const key of ['embeddings', 'embedding'] as const) {
    const v = answer[key];
    if (Array.isArray(v)) return v.length > 0 && typeof v[0] === 'number' ? [v] : v;
  }
  return 'no data, embeddings or embedding list in the answer';
}

/** One vector: floats, or base64 float32; a reason when it is neither. */
function vectorOf(raw: unknown): number[] | string {
  if (typeof raw === 'string')
    return decodeEmbeddingBase64(raw) ?? 'a base64 embedding that is not float32 data';
  if (!Array.isArray(raw)) return 'an embedding that is not an array';
  if (raw.length > 0 && Array.isArray(raw[0])) {
    return 'per-token vectors (no pooling): configure the container to pool';
  }
  for (const x of raw)
    if (typeof x !== 'number' || !Number.isFinite(x)) return 'an embedding with a non-number';
  return raw as number[];
}

/** The first `d` numbers of `v`, scaled back to unit length. */
export function shortenVector(v: readonly number[], d: number): number[] {
  const head = v.slice(0, d);
  // A loop, not Math.hypot(...head): a vector may have 65,536 numbers, too many arguments to spread.
  let sum = 0;
  for (const x of head) sum += x * x;
  const norm = Math.sqrt(sum);
  return norm > 0 ? head.map((x) => x / norm) : head;
}

/**
 * The vectors of an embedding answer, checked against the call: one per input, finite, each of
 * the length asked (or the model's; all equal when neither is known). See the module header.
 */
export function embeddingResult(
  answer: unknown,
  target: PlanTarget,
  body: EmbeddingUpstreamBody,
): InferenceResult {
  const bad = (why: string) =>
    new UpstreamError('invalid-response', `${target.endpoint}: embeddings: ${why}`);
  const raws = rawVectors(answer);
  if (typeof raws === 'string') throw bad(raws);
  if (raws.length !== body.input.length) {
    throw bad(`${raws.length} vectors for ${body.input.length} inputs`);
  }
  const want = body.dimensions ?? target.embedding?.dimensions;
  const mayShorten = body.dimensions !== undefined && target.embedding?.accepts_dimensions === true;
  const vectors: number[][] = [];
  for (const raw of raws) {
    let v = vectorOf(raw);
    if (typeof v === 'string') throw bad(v);
    const length = want ?? vectors[0]?.length ?? v.length;
    if (v.length > length && mayShorten) v = shortenVector(v, length);
    if (v.length !== length) throw bad(`a vector of ${v.length} dimensions, ${length} expected`);
    vectors.push(v);
  }
  const result: EmbeddingVectors = { vectors };
  const usage = usageOf(answer);
  return usage ? { body: result, usage } : { body: result };
}
