// POST /v1/embeddings and chat n > 1 end to end through the local stack (example registry) with
// the official `openai` client: its default request (it asks for base64 and decodes it to floats),
// explicit float and base64, string arrays and token arrays, dimensions, the x-switchyard-*
// headers and cost, a fallback across endpoint kinds when the serving one is down, and the
// constraints' 400s (dimensions no model can return, n on a model no endpoint of which has n).
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { openAiClient, setFault } from '../support/local-stack.helpers.ts';

let stack: LocalStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startLocalStack({
    schedules: false,
    logLevel: 'ERROR',
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0' },
  });
  client = openAiClient(stack);
});

afterAll(async () => {
  await stack?.stop();
});

/** The first numbers of the simulator's 512-number vector for "hello" (and for tokens 1,2,3). */
const HELLO_HEAD = [0.0382, -0.0409, 0.0325];
const TOKENS_HEAD = [0.0239, -0.05, -0.0411];
const EMBEDDERS = ['gpu-embed', 'sm-embed'];

describe('POST /v1/embeddings with the openai client', () => {
  it('the default call (base64 on the wire, decoded by the client) gives 512 floats, with the routing headers', async () => {
    const { data, response } = await client.embeddings
      .create({ model: 'auto', input: 'hello' })
      .withResponse();
    expect(data.object).toBe('list');
    expect(data.model).toBe('embed-small');
    expect(data.data).toHaveLength(1);
    const [first] = data.data;
    expect(first?.index).toBe(0);
    expect(first?.object).toBe('embedding');
    expect(first?.embedding).toHaveLength(512);
    // float32 on the wire: the numbers come back rounded to float32.
    expect(first?.embedding.slice(0, 3)).toEqual(HELLO_HEAD.map(Math.fround));
    expect(data.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    expect(response.headers.get('x-switchyard-model')).toBe('embed-small@v1');
    expect(EMBEDDERS).toContain(response.headers.get('x-switchyard-endpoint'));
    expect(response.headers.get('x-switchyard-policy')).toBe('auto-embedding');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    // 2 tokens at $0.00002 per 1K is $0.00000004: charged exactly (nano-dollars), not a whole micro-dollar.
    expect(response.headers.get('x-switchyard-cost-usd')).toBe('0.000000040');
  });

  it('encoding_format float: JSON numbers as the simulator made them, for an array of strings', async () => {
    const data = await client.embeddings.create({
      model: 'embed-small',
      input: ['hello', 'hello again'],
      encoding_format: 'float',
    });
    expect(data.data.map((d) => d.index)).toEqual([0, 1]);
    expect(data.data[0]?.embedding.slice(0, 3)).toEqual(HELLO_HEAD);
    expect(data.data[1]?.embedding).toHaveLength(512);
    expect(data.data[1]?.embedding.slice(0, 3)).not.toEqual(HELLO_HEAD);
  });

  it('encoding_format base64: a string the client leaves alone, little-endian float32 of the vector', async () => {
    const data = await client.embeddings.create({
      model: 'embed-small',
      input: 'hello',
      encoding_format: 'base64',
    });
    const text = data.data[0]?.embedding as unknown as string;
    expect(typeof text).toBe('string');
    const bytes = Buffer.from(text, 'base64');
    expect(bytes.length).toBe(2048);
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4), bytes.readFloatLE(8)]).toEqual(
      HELLO_HEAD.map(Math.fround),
    );
  });

  it('token arrays are embedded as inputs of their own', async () => {
    const data = await client.embeddings.create({
      model: 'embed-small',
      input: [[1, 2, 3]],
      encoding_format: 'float',
    });
    expect(data.data[0]?.embedding.slice(0, 3)).toEqual(TOKENS_HEAD);
    expect(data.usage.prompt_tokens).toBe(3);
  });

  it('dimensions: unit vectors of that length from the Matryoshka model', async () => {
    const data = await client.embeddings.create({
      model: 'embed-small',
      input: 'hello',
      dimensions: 64,
      encoding_format: 'float',
    });
    const v = data.data[0]?.embedding ?? [];
    expect(v).toHaveLength(64);
    expect(Math.hypot(...v)).toBeCloseTo(1, 3);
    expect(v[0]).toBeCloseTo(0.1099, 3);
  });

  it('dimensions no model can return: a 400 naming dimensions', async () => {
    const err = await client.embeddings
      .create({ model: 'auto', input: 'hello', dimensions: 513 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('dimensions');
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('no_candidate');
  });

  it('an empty string and a chat model are 400s', async () => {
    const empty = await client.embeddings.create({ model: 'auto', input: '' }).catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError);
    expect((empty as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('input');
    const chatModel = await client.embeddings
      .create({ model: 'llama-3-8b', input: 'x' })
      .catch((e: unknown) => e);
    expect(chatModel).toBeInstanceOf(OpenAI.BadRequestError);
    expect((chatModel as Error).message).toContain('task');
  });

  it('the serving endpoint down: the next requests are served by the other kind, with no error', async () => {
    const first = await client.embeddings.create({ model: 'auto', input: 'first' }).withResponse();
    const serving = first.response.headers.get('x-switchyard-endpoint') as string;
    const other = EMBEDDERS.find((e) => e !== serving);
    await setFault(stack, serving, 'down');
    try {
      for (let i = 0; i < 3; i++) {
        const next = await client.embeddings.create({ model: 'auto', input: `after ${i}` }).withResponse();
        expect(next.response.headers.get('x-switchyard-endpoint')).toBe(other);
        expect(next.data.data[0]?.embedding).toHaveLength(512);
      }
    } finally {
      await setFault(stack, serving, 'ok');
    }
  });
});

describe('chat n > 1 with the openai client', () => {
  it('n 3 on auto: three choices from an endpoint that supports n', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'options' }], n: 3, max_tokens: 32 })
      .withResponse();
    const endpoint = response.headers.get('x-switchyard-endpoint');
    expect(['gpu-a-llama-8b', 'gpu-b-llama-8b']).toContain(endpoint);
    expect(data.choices.map((c) => [c.index, c.message.content])).toEqual([
      [0, `[${endpoint}] echo: options #1`],
      [1, `[${endpoint}] echo: options #2`],
      [2, `[${endpoint}] echo: options #3`],
    ]);
  });

  it('n 2 on a model none of whose endpoints supports n: a 400 naming n', async () => {
    const err = await client.chat.completions
      .create({ model: 'medical', messages: [{ role: 'user', content: 'x' }], n: 2 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect([bad.param, bad.code]).toEqual(['n', 'no_candidate']);
    expect(bad.message).toContain('n-choices');
  });
});
