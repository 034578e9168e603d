// Embeddings answer benchmark: building the OpenAI answer for a large request (2048 inputs of
// 512-number vectors, and 64 inputs of 3072) as floats and as base64 (the openai client's default),
// with Node's Buffer base64 of the same float32 bytes as the baseline in the same run: median and
// p99 per answer, and the ratios against the baseline.
import { embeddingsAnswer } from '../../layers/core/src/index.ts';
import { quantile, type Reporter } from './reporter.ts';

function vectors(count: number, dims: number): number[][] {
  let seed = 7;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  return Array.from({ length: count }, () => Array.from({ length: dims }, next));
}

function time(fn: () => unknown, runs: number): number[] {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** The baseline: Node's Buffer base64 of each vector's float32 bytes (little-endian platforms). */
const bufferBase64 = (vs: readonly number[][]) =>
  vs.map((v) => Buffer.from(new Float32Array(v).buffer).toString('base64'));

export async function benchEmbeddings(reporter: Reporter, runs = 30): Promise<void> {
  for (const [count, dims] of [
    [2048, 512],
    [64, 3072],
  ] as const) {
    const vs = vectors(count, dims);
    const answer = (encoding: 'float' | 'base64') => () =>
      JSON.stringify(
        embeddingsAnswer({ vectors: vs, model: 'm', encoding, upstreamPromptTokens: 1, countedTokens: 1 }),
      );
    const float = time(answer('float'), runs);
    const base64 = time(answer('base64'), runs);
    const baseline = time(() => JSON.stringify(bufferBase64(vs)), runs);
    const detail = { inputs: count, dimensions: dims, runs };
    for (const [name, s] of [
      ['float', float],
      ['base64', base64],
      ['buffer_baseline', baseline],
    ] as const) {
      reporter.report({ name: `embeddings.${name}.median`, unit: 'ms', value: quantile(s, 0.5), ...detail });
      reporter.report({ name: `embeddings.${name}.p99`, unit: 'ms', value: quantile(s, 0.99), ...detail });
    }
    reporter.report({
      name: 'embeddings.ratio.base64_vs_buffer',
      unit: 'x',
      value: quantile(base64, 0.5) / quantile(baseline, 0.5),
      baseline: 'buffer_baseline',
      ...detail,
    });
    reporter.report({
      name: 'embeddings.ratio.base64_vs_float',
      unit: 'x',
      value: quantile(base64, 0.5) / quantile(float, 0.5),
      baseline: 'float',
      ...detail,
    });
  }
}
