// Embedding calls on both kinds (embeddings.upstream.ts): the request bodies (dimensions sent only
// when it is not the model's own length; SageMaker's TEI `{"inputs"}`), every answer shape read
// back, Matryoshka shortening and every mismatch an invalid-response; and a chat answer with
// another number of choices than `n` asked for.
import { describe, expect, it } from 'vitest';
import {
  embeddingResult,
  openAiEmbeddingsBody,
  openAiHttpRequest,
  probeCall,
  sageMakerEmbeddingsBody,
  sageMakerRequestBody,
  shortenVector,
  toChatCompletion,
} from '../../../layers/adapters/src/index.ts';
import type { EmbeddingUpstreamBody, PlanTarget } from '../../../layers/core/src/index.ts';
import { UpstreamError } from '../../../layers/core/src/index.ts';

const target = (
  embedding?: PlanTarget['embedding'],
  kind: PlanTarget['kind'] = 'openai-http',
): PlanTarget => ({
  endpoint: 'e1',
  model: 'embed-small',
  version: 'v1',
  kind,
  target: 'http://e1.internal/v1',
  region: 'us-east-1',
  upstream_model: 'BAAI/bge-small',
  timeout_ms: 1000,
  estimated_cost_usd: 0,
  ...(embedding ? { embedding } : {}),
});
const fixed = target({ dimensions: 3, accepts_dimensions: false });
const flexible = target({ dimensions: 4, accepts_dimensions: true });

const failure = (fn: () => unknown): UpstreamError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof UpstreamError) return err;
    throw err;
  }
  throw new Error('expected an UpstreamError');
};

describe('request bodies', () => {
  const body: EmbeddingUpstreamBody = { input: ['a', 'b'], user: 'u', truncate_prompt_tokens: 8 };

  it('openai-http: model, float encoding, the extras; POST {target}/embeddings', () => {
    expect(openAiHttpRequest(fixed, { kind: 'embedding', body })).toEqual({
      url: 'http://e1.internal/v1/embeddings',
      body: {
        input: ['a', 'b'],
        user: 'u',
        truncate_prompt_tokens: 8,
        model: 'BAAI/bge-small',
        encoding_format: 'float',
      },
    });
  });

  it('dimensions goes upstream only when it is not the model`s own length', () => {
    expect(openAiEmbeddingsBody(flexible, { input: ['a'], dimensions: 2 })).toMatchObject({ dimensions: 2 });
    expect('dimensions' in openAiEmbeddingsBody(flexible, { input: ['a'], dimensions: 4 })).toBe(false);
    expect('dimensions' in openAiEmbeddingsBody(fixed, { input: ['a'], dimensions: 3 })).toBe(false);
    expect('dimensions' in openAiEmbeddingsBody(fixed, { input: ['a'] })).toBe(false);
  });

  it('sagemaker: TEI`s {"inputs": [...]}, strings or token arrays, nothing else', () => {
    expect(sageMakerRequestBody(target(undefined, 'sagemaker'), { kind: 'embedding', body })).toEqual({
      inputs: ['a', 'b'],
    });
    expect(sageMakerEmbeddingsBody({ input: [[1, 2], [3]], dimensions: 2 })).toEqual({
      inputs: [[1, 2], [3]],
    });
  });
});

describe('health probes', () => {
  it('an embedding model is probed with an embedding of "ping"; others as before', () => {
    expect(probeCall(['embedding'], 'm')).toEqual({ kind: 'embedding', body: { input: ['ping'] } });
    expect(probeCall(['sentiment', 'embedding'], 'm')).toEqual({
      kind: 'invocation',
      task: 'sentiment',
      payload: 'ping',
    });
  });
});

describe('answers read back', () => {
  const two: EmbeddingUpstreamBody = { input: ['a', 'b'] };

  it('OpenAI data, ordered by index, with usage', () => {
    const answer = {
      object: 'list',
      data: [
        { object: 'embedding', index: 1, embedding: [4, 5, 6] },
        { object: 'embedding', index: 0, embedding: [1, 2, 3] },
      ],
      usage: { prompt_tokens: 7, total_tokens: 7 },
    };
    expect(embeddingResult(answer, fixed, two)).toEqual({
      body: {
        vectors: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      },
      usage: { prompt_tokens: 7, completion_tokens: 0 },
    });
  });

  it('OpenAI data with base64 embeddings (an upstream that ignored encoding_format)', () => {
    const answer = { data: [{ index: 0, embedding: 'AACAPwAAAMAAAAA/' }] };
    expect(embeddingResult(answer, fixed, { input: ['a'] })).toEqual({ body: { vectors: [[1, -2, 0.5]] } });
  });

  it('a bare array of vectors (TEI /embed), {embeddings}, {embedding} and one {embedding} vector', () => {
    const vectors = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    expect(embeddingResult(vectors, fixed, two).body).toEqual({ vectors });
    expect(embeddingResult({ embeddings: vectors }, fixed, two).body).toEqual({ vectors });
    expect(embeddingResult({ embedding: vectors }, fixed, two).body).toEqual({ vectors });
    expect(embeddingResult({ embedding: [1, 2, 3] }, fixed, { input: ['a'] }).body).toEqual({
      vectors: [[1, 2, 3]],
    });
  });

  it('without known dimensions, every vector must have the first one`s length', () => {
    expect(
      embeddingResult(
        [
          [1, 2],
          [3, 4],
        ],
        target(),
        two,
      ).body,
    ).toEqual({
      vectors: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(failure(() => embeddingResult([[1, 2], [3]], target(), two)).message).toBe(
      'e1: embeddings: a vector of 1 dimensions, 2 expected',
    );
  });

  it.each<[string, unknown, EmbeddingUpstreamBody, string]>([
    ['fewer vectors than inputs', [[1, 2, 3]], { input: ['a', 'b'] }, '1 vectors for 2 inputs'],
    [
      'more vectors than inputs',
      [
        [1, 2, 3],
        [1, 2, 3],
      ],
      { input: ['a'] },
      '2 vectors for 1 inputs',
    ],
    ['a vector too short', [[1, 2]], { input: ['a'] }, 'a vector of 2 dimensions, 3 expected'],
    [
      'a vector too long (model does not shorten)',
      [[1, 2, 3, 4]],
      { input: ['a'] },
      'a vector of 4 dimensions, 3 expected',
    ],
    ['a non-number', [[1, 'x', 3]], { input: ['a'] }, 'an embedding with a non-number'],
    ['a null in a vector', [[1, null, 3]], { input: ['a'] }, 'an embedding with a non-number'],
    [
      'per-token vectors',
      [[[1, 2, 3]]],
      { input: ['a'] },
      'per-token vectors (no pooling): configure the container to pool',
    ],
    ['a string answer', 'nope', { input: ['a'] }, 'the answer is not a JSON object or array'],
    [
      'an object without vectors',
      { result: [] },
      { input: ['a'] },
      'no data, embeddings or embedding list in the answer',
    ],
    [
      'data without embedding',
      { data: [{ index: 0 }] },
      { input: ['a'] },
      'an element of data has no embedding',
    ],
    [
      'bad base64',
      { data: [{ index: 0, embedding: 'AAC' }] },
      { input: ['a'] },
      'a base64 embedding that is not float32 data',
    ],
    [
      'an embedding that is an object',
      { data: [{ index: 0, embedding: {} }] },
      { input: ['a'] },
      'an embedding that is not an array',
    ],
  ])('%s is an invalid-response', (_, answer, body, why) => {
    const err = failure(() => embeddingResult(answer, fixed, body));
    expect(err.failure).toBe('invalid-response');
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(`e1: embeddings: ${why}`);
  });

  it('Infinity is no finite number', () => {
    expect(
      failure(() => embeddingResult([[1, Number.POSITIVE_INFINITY, 3]], fixed, { input: ['a'] })).message,
    ).toBe('e1: embeddings: an embedding with a non-number');
  });
});

describe('dimensions', () => {
  it('a vector of the length asked passes as it is', () => {
    expect(embeddingResult([[0.6, 0.8]], flexible, { input: ['a'], dimensions: 2 }).body).toEqual({
      vectors: [[0.6, 0.8]],
    });
  });

  it('a longer vector from a model that accepts dimensions is shortened to unit length', () => {
    // [3, 4, 12, 0] cut to 2: [3, 4] / 5.
    expect(embeddingResult([[3, 4, 12, 0]], flexible, { input: ['a'], dimensions: 2 }).body).toEqual({
      vectors: [[0.6, 0.8]],
    });
  });

  it('a longer vector is not shortened without dimensions asked, nor for a model that does not accept them', () => {
    expect(failure(() => embeddingResult([[3, 4, 12, 0, 1]], flexible, { input: ['a'] })).message).toBe(
      'e1: embeddings: a vector of 5 dimensions, 4 expected',
    );
    expect(
      failure(() => embeddingResult([[3, 4, 12, 0]], fixed, { input: ['a'], dimensions: 3 })).message,
    ).toBe('e1: embeddings: a vector of 4 dimensions, 3 expected');
  });

  it('a shorter vector than asked is an invalid-response', () => {
    expect(failure(() => embeddingResult([[1]], flexible, { input: ['a'], dimensions: 2 })).message).toBe(
      'e1: embeddings: a vector of 1 dimensions, 2 expected',
    );
  });

  it('shortens a 65,536-number vector (no argument spread)', () => {
    const long = Array.from({ length: 65_536 }, () => 1);
    const short = shortenVector(long, 4);
    expect(short).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(shortenVector(long, 65_536)[0]).toBeCloseTo(1 / 256, 12);
  });

  it('shortenVector keeps a zero vector as zeros', () => {
    expect(shortenVector([0, 0, 1], 2)).toEqual([0, 0]);
    expect(shortenVector([1, 0, 0], 3)).toEqual([1, 0, 0]);
  });
});

describe('chat n choices', () => {
  const ctx = (choices?: number) => ({
    endpoint: 'c1',
    model: 'm',
    now: () => 0,
    newId: () => 'id',
    ...(choices ? { choices } : {}),
  });
  const answer = (n: number) => ({
    id: 'x',
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: 'assistant', content: `c${index}` },
    })),
  });

  it('n choices asked, n answered: passed through', () => {
    const out = toChatCompletion(answer(3), ctx(3)).body as { choices: unknown[] };
    expect(out.choices).toHaveLength(3);
  });

  it.each([1, 2, 4])('n 3 asked, %i answered: an invalid-response', (got) => {
    const err = failure(() => toChatCompletion(answer(got), ctx(3)));
    expect(err.failure).toBe('invalid-response');
    expect(err.message).toBe(`c1: asked for n = 3 choices, the answer has ${got}`);
  });

  it('without n, any number of choices passes (as before)', () => {
    expect((toChatCompletion(answer(2), ctx()).body as { choices: unknown[] }).choices).toHaveLength(2);
  });

  it('a TGI generated_text answer cannot carry n > 1', () => {
    expect(failure(() => toChatCompletion([{ generated_text: 'hi' }], ctx(2))).message).toBe(
      'c1: asked for n = 2 choices, the answer is one TGI generated_text',
    );
  });
});
