// Embedding calls and chat n > 1 through both inference clients against the simulated endpoints:
// the OpenAI-compatible server over fetch (`POST /v1/embeddings`) and SageMaker through the real
// SageMaker runtime SDK client (InvokeEndpoint with TEI's `{"inputs": [...]}`). The same text
// gives the same vector on both kinds (the simulator hashes the text), asserted as literals.
import {
  createSageMakerRuntimeClient,
  OpenAiHttpInferenceClient,
  SageMakerInferenceClient,
} from '@switchyard/adapters';
import type {
  ChatCompletionResponse,
  EmbeddingVectors,
  InferenceCall,
  InferenceClient,
} from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimEndpoints, startSimEndpoints } from '../../../infra/local/sim-endpoints.server.ts';
import { LOCAL_AWS } from '../../support/local-aws.ts';
import { failure, neverAborted, simConfig, targetFor } from './sim-fixtures.ts';

let sim: SimEndpoints;
let sagemaker: SageMakerInferenceClient;
const http = new OpenAiHttpInferenceClient();

/** embed-small as the simulator serves it: 4 numbers, shortenable. */
const EMBEDDING = { dimensions: 4, accepts_dimensions: true };
const embed = { model: 'embed-small', upstream_model: 'embed-small', embedding_dimensions: 4 };
const HELLO = [0.4414, -0.472, 0.3751, 0.6646];
const WORLD = [-0.8958, 0.1407, 0.0896, -0.412];
const TOKENS_123 = [0.2672, -0.5604, -0.4606, 0.6344];

beforeAll(async () => {
  sim = await startSimEndpoints({
    endpoints: [
      simConfig('sm-embed', 'sagemaker', embed),
      simConfig('gpu-embed', 'openai-http', embed),
      simConfig('gpu-vllm', 'openai-http', { supports_n: true }),
      simConfig('gpu-tgi', 'openai-http'),
      simConfig('sm-lmi', 'sagemaker', { supports_n: true }),
    ],
  });
  sagemaker = new SageMakerInferenceClient({
    client: createSageMakerRuntimeClient({ ...LOCAL_AWS, endpoint: sim.url }),
  });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  for (const e of sim.list()) sim.setFault(e.id, 'ok');
});

const embedding = (input: string[] | number[][], extra: Record<string, unknown> = {}): InferenceCall => ({
  kind: 'embedding',
  body: { input, ...extra },
});
const kinds: Array<[string, () => InferenceClient, string]> = [
  ['openai-http', () => http, 'gpu-embed'],
  ['sagemaker', () => sagemaker, 'sm-embed'],
];
const vectorsOf = (r: { body: unknown }) => (r.body as EmbeddingVectors).vectors;

describe.each(kinds)('embeddings on %s', (kind, client, id) => {
  const target = () => targetFor(sim, id, { embedding: EMBEDDING });

  it('embeds strings, one vector per input in order', async () => {
    const result = await client().invoke(target(), embedding(['hello', 'world']), neverAborted());
    expect(vectorsOf(result)).toEqual([HELLO, WORLD]);
    // The OpenAI server reports usage (ceil(5/4) tokens each); TEI reports none (counted instead).
    expect(result.usage).toEqual(
      kind === 'openai-http' ? { prompt_tokens: 4, completion_tokens: 0 } : undefined,
    );
  });

  it('embeds token arrays', async () => {
    const result = await client().invoke(target(), embedding([[1, 2, 3]]), neverAborted());
    expect(vectorsOf(result)).toEqual([TOKENS_123]);
  });

  it('returns vectors of the dimensions asked, at unit length', async () => {
    const result = await client().invoke(target(), embedding(['hello'], { dimensions: 2 }), neverAborted());
    const [v] = vectorsOf(result);
    // openai-http: `dimensions` went upstream (the server shortened); sagemaker: shortened here.
    expect(v).toHaveLength(2);
    expect(v?.[0]).toBeCloseTo(0.683, 4);
    expect(v?.[1]).toBeCloseTo(-0.7304, 4);
  });

  it('an upstream that answers 500 is a retryable server failure', async () => {
    sim.setFault(id, 'error');
    const err = await failure(client().invoke(target(), embedding(['hello']), neverAborted()));
    expect(err.failure).toBe('server');
    expect(err.retryable).toBe(true);
  });

  it('a model whose vectors are not the registry`s length is an invalid-response', async () => {
    const wrong = targetFor(sim, id, { embedding: { dimensions: 8, accepts_dimensions: false } });
    const err = await failure(client().invoke(wrong, embedding(['hello']), neverAborted()));
    expect(err.failure).toBe('invalid-response');
    expect(err.message).toBe(`${id}: embeddings: a vector of 4 dimensions, 8 expected`);
  });
});

describe('the wire', () => {
  it('openai-http sends dimensions only when it differs from the model`s length', async () => {
    // The simulator refuses dimensions above its 4: 5 would be a 400 if it were sent as it is.
    const at4 = await http.invoke(
      targetFor(sim, 'gpu-embed', { embedding: EMBEDDING }),
      embedding(['hello'], { dimensions: 4 }),
      neverAborted(),
    );
    expect(vectorsOf(at4)).toEqual([HELLO]);
    const over = await failure(
      http.invoke(
        targetFor(sim, 'gpu-embed', { embedding: { dimensions: 8, accepts_dimensions: true } }),
        embedding(['hello'], { dimensions: 5 }),
        neverAborted(),
      ),
    );
    expect(over.failure).toBe('rejected');
    expect(over.message).toContain('dimensions must be an integer from 1 to 4');
  });
});

describe('chat n > 1', () => {
  const chat = (n: number): InferenceCall => ({
    kind: 'chat',
    body: { model: 'auto', messages: [{ role: 'user', content: 'pick' }], n },
  });
  const contents = (r: { body: unknown }) =>
    (r.body as ChatCompletionResponse).choices.map((c) => [c.index, c.message.content]);

  it('an openai-http server with n answers n choices', async () => {
    const result = await http.invoke(targetFor(sim, 'gpu-vllm'), chat(3), neverAborted());
    expect(contents(result)).toEqual([
      [0, '[gpu-vllm] echo: pick #1'],
      [1, '[gpu-vllm] echo: pick #2'],
      [2, '[gpu-vllm] echo: pick #3'],
    ]);
  });

  it('a SageMaker container with n answers n choices', async () => {
    const result = await sagemaker.invoke(targetFor(sim, 'sm-lmi'), chat(2), neverAborted());
    expect(contents(result)).toEqual([
      [0, '[sm-lmi] echo: pick #1'],
      [1, '[sm-lmi] echo: pick #2'],
    ]);
  });

  it('a server without n refuses it: rejected (routing never sends it there)', async () => {
    const err = await failure(http.invoke(targetFor(sim, 'gpu-tgi'), chat(2), neverAborted()));
    expect(err.failure).toBe('rejected');
    expect(err.message).toContain('n > 1 is not supported by this server');
  });
});
