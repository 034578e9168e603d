// Every shell snippet in README.md runs as written against a local stack: the test starts one
// stack (the example registry, as `npm start` does), writes the same .switchyard/local.env that
// `npm start` writes (local-env.ts) into a scratch directory, and runs each ```sh block there in
// a fresh `bash -e -o pipefail` in which that file has been sourced, as in the terminal of the
// README's first snippet (which sources it itself). Each block must exit 0 and print no error the
// README does not show; where a block shows its output in `# ...` comment lines (`...` stands for
// anything, two spaces start a remark), the output must contain those lines in that order, and a
// ```json block right after a snippet is the shape of its output (every key it shows, with the same
// JSON type). Blocks that cannot run here are listed below, each with why. A block run here names
// no host but this machine's (the stack is `$URL`; a webhook receiver listens on 127.0.0.1), so
// the snippets need no network.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ENV_FILE, writeLocalEnv } from '../../infra/local/local-env.ts';
import { type LocalStack, REPO_ROOT, startLocalStack } from '../../infra/local/local-stack.ts';

/** Shell blocks not run here, each found by a line only it has. */
const NOT_RUN: ReadonlyArray<{ has: string; why: string }> = [
  { has: 'npm start        #', why: '`npm ci` and `npm start`: this test starts the stack itself' },
  { has: 'npm test         #', why: '`npm ci` and `npm test`: the suite this test is part of' },
  { has: 'npx cdk bootstrap', why: 'deploying needs an AWS account and credentials' },
  { has: 'npm run mutate:literals ', why: 'mutation campaigns run the suites themselves, for minutes' },
  {
    has: 'OVERHEAD_EVENT_OUT=',
    why: 'profiling the bench child runs from the repository root (the snippets run in a scratch directory); the bench itself takes a minute',
  },
  {
    has: 'npm run cost -- --rps',
    why: 'runs from the repository root (the snippets run in a scratch directory); the bench bundles for a minute; test/unit/cost covers the model',
  },
];

/** Hosts a snippet may name in a URL: this machine (the stack itself is `$URL`). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

interface Block {
  line: number;
  lang: string;
  text: string;
  /** A ```json block that starts right after this one (within two lines). */
  shape?: string;
}

function blocksOf(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Array<Block & { end: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i] as string);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    blocks.push({ line: i + 1, lang: open[1] ?? '', text: lines.slice(i + 1, end).join('\n'), end });
    i = end;
  }
  return blocks.map((b, k) => {
    const next = blocks[k + 1];
    const shape = next && next.lang === 'json' && next.line - b.end <= 3 ? next.text : undefined;
    return { line: b.line, lang: b.lang, text: b.text, ...(shape ? { shape } : {}) };
  });
}

/** The output lines a block shows (comment-only lines that look like output), as patterns. */
function shownOutput(text: string): RegExp[] {
  return text
    .split('\n')
    .map((l) => /^\s*# (.*)$/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined && /^(\{|\[|HTTP\/|[a-z][a-z0-9-]*: )/.test(c))
    .map((c) => {
      const shown = c.split(/ {2,}/)[0] as string;
      const source = shown
        .split('...')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*?');
      return new RegExp(source, 'i');
    });
}

/** Where `actual` lacks a key `expected` shows, or has another JSON type; `"..."` stands for anything. */
function shapeProblems(expected: unknown, actual: unknown, path = '$'): string[] {
  if (expected === '...') return [];
  const type = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (type(expected) !== type(actual))
    return [`${path}: ${type(actual)}, the README shows ${type(expected)}`];
  if (Array.isArray(expected)) {
    const list = actual as unknown[];
    return expected.flatMap((e, i) =>
      i < list.length ? shapeProblems(e, list[i], `${path}[${i}]`) : [`${path}[${i}]: missing`],
    );
  }
  if (type(expected) !== 'object') return [];
  const object = actual as Record<string, unknown>;
  return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
    k === '...' ? [] : k in object ? shapeProblems(v, object[k], `${path}.${k}`) : [`${path}.${k}: missing`],
  );
}

function bash(script: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd,
      // Nothing of the test's own environment: only what the snippet and local.env provide.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, LANG: 'C.UTF-8' },
      timeout: 20_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const shellBlocks = blocksOf(README).filter((b) => b.lang === 'sh' || b.lang === 'bash');
const skipped = (b: Block) => NOT_RUN.some((n) => b.text.includes(n.has));
const runnable = shellBlocks.filter((b) => !skipped(b));

let stack: LocalStack;
let shell: string;

beforeAll(async () => {
  stack = await startLocalStack({ schedules: false, logLevel: 'SILENT' });
  shell = mkdtempSync(join(tmpdir(), 'switchyard-readme-'));
  // curl draws a progress meter on stderr when its output is not a terminal; in a terminal it
  // does not: `-sS` keeps it quiet as there, and still reports real errors.
  writeFileSync(join(shell, '.curlrc'), '--silent\n--show-error\n');
  writeLocalEnv(shell, {
    URL: stack.url,
    KEY: stack.apiKey,
    ADMIN_KEY: stack.adminKey,
    WEBHOOK_SECRET: stack.webhookSecret,
  });
});
afterAll(async () => {
  await stack?.stop();
  if (shell) rmSync(shell, { recursive: true, force: true });
});

describe('README shell snippets', () => {
  it('every block not run is listed once, for a reason; the first run block sources local.env', () => {
    for (const n of NOT_RUN) expect(shellBlocks.filter((b) => b.text.includes(n.has))).toHaveLength(1);
    expect(runnable.length).toBeGreaterThanOrEqual(8);
    expect(runnable[0]?.text.startsWith(`source ${LOCAL_ENV_FILE}`)).toBe(true);
  });

  it('every block run calls only this machine ($URL or loopback), so they all run offline', () => {
    const offMachine = runnable.flatMap((b) =>
      [...b.text.matchAll(/\bhttps?:\/\/(\[[^\]]*\]|[^\s/:"'`]+)/g)]
        .map((m) => m[1] as string)
        .filter((host) => !LOOPBACK_HOSTS.has(host))
        .map((host) => `README.md:${b.line}: ${host}`),
    );
    expect(offMachine).toEqual([]);
  });

  it('each runs as written: exit 0, no error it does not show, the output it shows', async () => {
    const problems: string[] = [];
    // In README order: later snippets may read what earlier ones did (a job, a fault reset).
    for (const b of runnable) {
      const script = b === runnable[0] ? b.text : `source ${LOCAL_ENV_FILE}\n${b.text}`;
      const { code, stdout, stderr } = await bash(script, shell);
      const at = `README.md:${b.line}`;
      if (code !== 0) problems.push(`${at}: exit ${code}: ${stderr.slice(0, 300)}`);
      if (stderr.trim() !== '') problems.push(`${at}: stderr: ${stderr.slice(0, 300)}`);
      const shown = shownOutput(b.text);
      if (stdout.includes('{"error":') && !shown.some((p) => p.source.includes('"error"'))) {
        problems.push(`${at}: an error the README does not show: ${stdout.slice(0, 300)}`);
      }
      let from = 0;
      for (const pattern of shown) {
        const rest = stdout.slice(from);
        const m = pattern.exec(rest);
        if (!m) {
          problems.push(
            `${at}: output lacks ${pattern.source} (after offset ${from}): ${rest.slice(0, 300)}`,
          );
          break;
        }
        from += m.index + m[0].length;
      }
      if (b.shape) {
        let actual: unknown;
        try {
          actual = JSON.parse(stdout);
        } catch {
          problems.push(`${at}: output is not the JSON the README shows: ${stdout.slice(0, 200)}`);
        }
        if (actual !== undefined)
          problems.push(...shapeProblems(JSON.parse(b.shape), actual).map((p) => `${at}: ${p}`));
      }
    }
    expect(problems).toEqual([]);
  });
});
