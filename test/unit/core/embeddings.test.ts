// The embeddings request schema at OpenAI's limits (input kinds, 2048 inputs, empty strings and
// arrays, token ids, the 300,000-token total, encoding_format, dimensions), the route request it
// becomes, the upstream body, the answer, and base64 as OpenAI encodes it (little-endian float32,
// checked against literal bytes).
import { describe, expect, it } from 'vitest';
import {
  base64Of,
  decodeEmbeddingBase64,
  EmbeddingsRequestSchema,
  embeddingRouteRequest,
  embeddingsAnswer,
  embeddingUpstreamBody,
  encodeEmbeddingBase64,
  float32LeBytes,
  inputProblem,
} from '../../../layers/core/src/index.ts';

const base = { model: 'auto' };
const parse = (extra: Record<string, unknown>) => EmbeddingsRequestSchema.safeParse({ ...base, ...extra });
const problem = (extra: Record<string, unknown>) => {
  const parsed = parse(extra);
  return parsed.success ? undefined : inputProblem(parsed.error);
};

describe('input kinds', () => {
  it.each<[string, unknown, unknown]>([
    ['a string', 'hello', { kind: 'text', inputs: ['hello'] }],
    ['strings', ['a', 'b'], { kind: 'text', inputs: ['a', 'b'] }],
    ['a token array (one input)', [1, 2, 3], { kind: 'tokens', inputs: [[1, 2, 3]] }],
    ['token arrays', [[1], [2, 3]], { kind: 'tokens', inputs: [[1], [2, 3]] }],
    ['token id 0 and 2147483647', [0, 2_147_483_647], { kind: 'tokens', inputs: [[0, 2_147_483_647]] }],
    ['one space', ' ', { kind: 'text', inputs: [' '] }],
  ])('%s', (_, input, expected) => {
    const parsed = parse({ input });
    expect(parsed.success).toBe(true);
    expect(parsed.data?.input).toEqual(expected);
  });

  it('2048 inputs pass, 2049 do not; the same for the tokens of one token array', () => {
    expect(parse({ input: Array.from({ length: 2048 }, () => 'x') }).success).toBe(true);
    expect(problem({ input: Array.from({ length: 2049 }, () => 'x') })).toEqual({
      param: 'input',
      message: 'input: at most 2048 inputs (or tokens in one token array), got 2049',
    });
    expect(parse({ input: Array.from({ length: 2048 }, () => 7) }).success).toBe(true);
    expect(problem({ input: Array.from({ length: 2049 }, () => 7) })?.param).toBe('input');
    expect(parse({ input: Array.from({ length: 2048 }, () => [7]) }).success).toBe(true);
    expect(problem({ input: Array.from({ length: 2049 }, () => [7]) })?.param).toBe('input');
  });

  it('300,000 estimated tokens pass, one more does not', () => {
    // 2000 token arrays of 150 tokens = 300,000; one array of 151 makes 300,001.
    const at = Array.from({ length: 2000 }, () => Array.from({ length: 150 }, () => 1));
    expect(parse({ input: at }).success).toBe(true);
    const over = [...at.slice(1), Array.from({ length: 151 }, () => 1)];
    expect(problem({ input: over })).toEqual({
      param: 'input',
      message: 'input: at most 300000 tokens in all inputs of one request, got ~300001',
    });
  });

  it.each<[string, unknown, string | null, string]>([
    ['missing', undefined, 'input', 'input is required'],
    ['an empty string', '', 'input', 'must not be an empty string'],
    ['an empty array', [], 'input', 'must not be an empty array'],
    ['an empty string among strings', ['a', '', 'c'], 'input.1', 'must not be an empty string'],
    ['a number', 5, 'input', 'got number'],
    ['null', null, 'input', 'got null'],
    ['an object', { text: 'x' }, 'input', 'got an object'],
    ['a boolean', true, 'input', 'got boolean'],
    ['an array of objects', [{ text: 'x' }], 'input.0', 'got an array of an object'],
    ['an array of null', [null], 'input.0', 'got an array of null'],
    ['a number among strings', ['a', 1], 'input.1', 'expected a string like input.0, got number'],
    ['a string among tokens', [1, 'a'], 'input.1', 'expected a token id (integer), got string'],
    ['a negative token', [1, -1], 'input.1', 'a token id must be an integer from 0 to 2147483647, got -1'],
    ['a fractional token', [1.5], 'input.0', 'got 1.5'],
    ['a token over 2^31-1', [2_147_483_648], 'input.0', 'got 2147483648'],
    ['an empty token array', [[1], []], 'input.1', 'must not be an empty token array'],
    ['a string among token arrays', [[1], 'a'], 'input.1', 'expected a token array like input.0, got string'],
    ['a bad token inside a token array', [[1], [2, 'x']], 'input.1.1', 'got string'],
    ['three levels of arrays', [[[1]]], 'input.0.0', 'expected a token id (integer), got an array'],
  ])('refuses %s, naming %s', (_, input, param, message) => {
    const found = problem(input === undefined ? {} : { input });
    expect(found?.param).toBe(param);
    expect(found?.message).toContain(message);
  });
});

describe('other fields', () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ['encoding_format "int8"', { encoding_format: 'int8' }, 'encoding_format', '"base64"'],
    ['dimensions 0', { dimensions: 0 }, 'dimensions', '>=1'],
    ['dimensions 65537', { dimensions: 65_537 }, 'dimensions', '<=65536'],
    ['a fractional dimensions', { dimensions: 1.5 }, 'dimensions', 'expected int'],
    ['dimensions as a string', { dimensions: '8' }, 'dimensions', 'expected number'],
    ['model missing', { model: undefined }, 'model', 'expected string'],
    ['model empty', { model: '' }, 'model', 'model is required'],
    ['user over 256', { user: 'u'.repeat(257) }, 'user', '<=256'],
    ['an unknown hint', { 'x-switchyard': { colour: 'red' } }, 'x-switchyard', 'colour'],
  ])('refuses %s', (_, extra, param, message) => {
    const found = problem({ input: 'x', ...extra });
    expect(found?.param).toBe(param);
    expect(found?.message).toContain(message);
  });

  it('accepts float, base64, null and absent encodings; dimensions 1 and 65536; unknown fields kept', () => {
    for (const encoding_format of ['float', 'base64', null, undefined]) {
      expect(parse({ input: 'x', encoding_format }).success).toBe(true);
    }
    expect(parse({ input: 'x', dimensions: 1 }).success).toBe(true);
    expect(parse({ input: 'x', dimensions: 65_536 }).success).toBe(true);
    expect(parse({ input: 'x', truncate_prompt_tokens: 8 }).data).toMatchObject({
      truncate_prompt_tokens: 8,
    });
  });
});

describe('route request and upstream body', () => {
  const body = (extra: Record<string, unknown>) => EmbeddingsRequestSchema.parse({ ...base, ...extra });

  it('is task embedding whatever the hint says, with tokens summed and the longest as context', () => {
    // "abcdefgh" is 2 tokens, "abcdefghijkl" 3, "é" 1 (tokens.ts): 6 in all, the longest 3.
    const r = embeddingRouteRequest(
      body({ input: ['abcdefgh', 'abcdefghijkl', 'é'], dimensions: 64, user: 'u-1' }),
      { 'x-switchyard-task': 'chat' },
      { id: 't' },
    );
    expect(r).toMatchObject({
      model: 'auto',
      task: 'embedding',
      prompt_tokens: 6,
      max_output_tokens: 0,
      context_tokens: 3,
      dimensions: 64,
      user: 'u-1',
      hints: { task: 'embedding' },
    });
  });

  it('counts token arrays by their length, and sets no dimensions or user when absent', () => {
    const r = embeddingRouteRequest(body({ input: [[1, 2, 3], [4]] }), {}, { id: 't' });
    expect([r.prompt_tokens, r.context_tokens]).toEqual([4, 3]);
    expect('dimensions' in r || 'user' in r).toBe(false);
  });

  it('the upstream body: inputs as a list, dimensions and user when set, unknown fields; no hints, model or encoding', () => {
    expect(
      embeddingUpstreamBody(
        body({
          input: 'one',
          encoding_format: 'base64',
          dimensions: 8,
          user: 'u',
          truncate_prompt_tokens: 4,
          'x-switchyard': { priority: 'high' },
        }),
      ),
    ).toEqual({ input: ['one'], dimensions: 8, user: 'u', truncate_prompt_tokens: 4 });
    expect(embeddingUpstreamBody(body({ input: [1, 2] }))).toEqual({ input: [[1, 2]] });
  });
});

describe('the answer', () => {
  const vectors = [
    [1, -2, 0.5],
    [0.1, 0, 0],
  ];

  it('floats by default and for "float", in input order, usage from the upstream', () => {
    for (const encoding of [undefined, null, 'float'] as const) {
      expect(
        embeddingsAnswer({
          vectors,
          model: 'embed-small',
          encoding,
          upstreamPromptTokens: 9,
          countedTokens: 4,
        }),
      ).toEqual({
        object: 'list',
        data: [
          { object: 'embedding', index: 0, embedding: [1, -2, 0.5] },
          { object: 'embedding', index: 1, embedding: [0.1, 0, 0] },
        ],
        model: 'embed-small',
        usage: { prompt_tokens: 9, total_tokens: 9 },
      });
    }
  });

  it('base64 little-endian float32, and the counted tokens without upstream usage', () => {
    const answer = embeddingsAnswer({
      vectors,
      model: 'm',
      encoding: 'base64',
      upstreamPromptTokens: undefined,
      countedTokens: 4,
    });
    expect(answer.data.map((d) => d.embedding)).toEqual(['AACAPwAAAMAAAAA/', 'zczMPQAAAAAAAAAA']);
    expect(answer.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
  });
});

describe('base64 float32', () => {
  it('writes each number as 4 little-endian IEEE 754 bytes', () => {
    // 1.0 = 0x3f800000, -2.0 = 0xc0000000, 0.5 = 0x3f000000, 0.1 ~ 0x3dcccccd, -0 = 0x80000000.
    expect([...float32LeBytes([1, -2, 0.5])]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f]);
    expect([...float32LeBytes([0.1])]).toEqual([0xcd, 0xcc, 0xcc, 0x3d]);
    expect([...float32LeBytes([-0, Number.POSITIVE_INFINITY])]).toEqual([0, 0, 0, 0x80, 0, 0, 0x80, 0x7f]);
    expect([...float32LeBytes([])]).toEqual([]);
  });

  it('encodes with standard padding at every remainder', () => {
    expect(base64Of(new Uint8Array([]))).toBe('');
    expect(base64Of(new Uint8Array([0xff]))).toBe('/w==');
    expect(base64Of(new Uint8Array([0xff, 0xfe]))).toBe('//4=');
    expect(base64Of(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('+/+/');
    expect(encodeEmbeddingBase64([1, 2])).toBe('AACAPwAAAEA=');
    expect(encodeEmbeddingBase64([1, -2, 0.5])).toBe('AACAPwAAAMAAAAA/');
  });

  it('decodes what it encodes (as float32), and refuses what is no float32 data', () => {
    expect(decodeEmbeddingBase64('AACAPwAAAMAAAAA/')).toEqual([1, -2, 0.5]);
    expect(decodeEmbeddingBase64('zczMPQ==')).toEqual([0.10000000149011612]);
    expect(decodeEmbeddingBase64('')).toEqual([]);
    expect(decodeEmbeddingBase64('AACAPwA=')).toBeUndefined(); // 5 bytes
    expect(decodeEmbeddingBase64('not base64!')).toBeUndefined();
    expect(decodeEmbeddingBase64('AAC')).toBeUndefined();
  });
});
