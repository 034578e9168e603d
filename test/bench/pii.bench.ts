import { pathToFileURL } from 'node:url';
import type { InferenceCall } from '../../layers/core/src/index.ts';
import {
  extractFeatures,
  redactCall,
  restoreValue,
  scanCall,
  seededRandom,
} from '../../layers/core/src/index.ts';
import { exampleLexicon, syntheticPrompt, time } from './features.bench.ts';
import { quantile, Reporter } from './reporter.ts';

const TARGET_P99_US: Record<number, number> = { 1024: 50, 10240: 300, 102400: 3000 };
const PII = [
  'Write to jane.doe@example.com today.',
  'Card 4111 1111 1111 1111, exp 09/27.',
  'Call +44 20 7946 0958 after five.',
  'key AKIAIOSFODNN7EXAMPLE leaked',
  'SSN 219-45-6789 on file.',
  'from 203.0.113.45 at 10:30',
];

/** `syntheticPrompt` with a personal-data sentence spliced in about every 500 characters. */
function withPii(bytes: number, seed: number): string {
  const rnd = seededRandom(seed * 7);
  const base = syntheticPrompt(bytes, seed);
  let out = '';
  for (let at = 0; at < base.length; at += 500) {
    out += `${base.slice(at, at + 500)} ${PII[Math.floor(rnd() * PII.length)] as string} `;
  }
  return out.slice(0, bytes);
}

const chatCall = (text: string): InferenceCall => ({
  kind: 'chat',
  body: { model: 'auto', messages: [{ role: 'user', content: text }] } as never,
});

let sink = 0;

const round = (x: number): number => Math.round(x * 10) / 10;

export async function benchPii(reporter: Reporter): Promise<void> {
  const lexicon = exampleLexicon();
  for (const bytes of [1024, 10_240, 102_400]) {
    const label = bytes >= 102_400 ? '100 KB' : bytes >= 10_240 ? '10 KB' : '1 KB';
    const samples = bytes >= 102_400 ? 400 : 2000;
    // Eight prompts of each kind, taken in turn (no single string stays hot).
    const clean = Array.from({ length: 8 }, (_, k) => chatCall(syntheticPrompt(bytes, bytes + k)));
    const dirty = Array.from({ length: 8 }, (_, k) => chatCall(withPii(bytes, bytes + k)));
    const found = scanCall(dirty[0] as InferenceCall).total;
    const textOf = (c: InferenceCall) =>
      (
        (c as unknown as { body: { messages: Array<{ content: string }> } }).body.messages[0] as {
          content: string;
        }
      ).content;

    const figures: Array<[string, (i: number) => void]> = [
      ['scan clean', (i) => (sink += scanCall(clean[i % 8] as InferenceCall).total)],
      ['scan with pii', (i) => (sink += scanCall(dirty[i % 8] as InferenceCall).total)],
      [
        'scan + features',
        (i) => {
          const c = dirty[i % 8] as InferenceCall;
          const text = textOf(c);
          sink += extractFeatures(
            { texts: [text], turns: 1 },
            Math.ceil(text.length / 4),
            lexicon,
          ).complexity;
          sink += scanCall(c).total;
        },
      ],
      [
        'redact + restore',
        (i) => {
          const c = dirty[i % 8] as InferenceCall;
          const { call, vault } = redactCall(c, scanCall(c));
          sink += (restoreValue(textOf(call), vault) as string).length;
        },
      ],
    ];
    const floor = time(samples, (i) => {
      const text = textOf(clean[i % 8] as InferenceCall);
      let h = 0;
      for (let c = 0; c < text.length; c++) h = (h + text.charCodeAt(c)) | 0;
      sink += h;
    });
    for (const [name, run] of figures) {
      time(samples, run); // warm-up
      const us = time(samples, run);
      const p99 = quantile(us, 0.99);
      reporter.report({
        name: `pii ${name} ${label} p50`,
        unit: 'µs',
        value: round(quantile(us, 0.5)),
        ...(name === 'scan clean' ? { read_chars_p50_us: round(quantile(floor, 0.5)) } : {}),
        ...(name === 'scan with pii' ? { findings: found } : {}),
      });
      reporter.report({
        name: `pii ${name} ${label} p99`,
        unit: 'µs',
        value: round(p99),
        ...(name === 'scan + features'
          ? { target_us: TARGET_P99_US[bytes], within_target: p99 <= (TARGET_P99_US[bytes] as number) }
          : {}),
      });
    }
  }
  if (sink === Number.MIN_VALUE) process.stdout.write('');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const reporter = new Reporter(process.argv.includes('--json'));
  reporter.section('Personal data: detection per request');
  await benchPii(reporter);
}
