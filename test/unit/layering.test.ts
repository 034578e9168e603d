// Dependencies point inward: handlers (functions/) -> adapters -> core, and nothing in them
// imports infra/ (contracts shared with the CDK constructs live in the core or the adapters).
// The core is pure: no AWS SDK, middy, Powertools, Node built-ins or process.env. Read from the
// sources, so a new import that breaks the rule fails here, not in a review. The core also builds
// no zod schema while it is imported (each top-level schema is `z.lazy`, and nothing parses at
// module scope): the router imports all of it in its cold start.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/local/local-stack.ts';

/** Every .ts file under `dir` (repository-relative), node_modules left out. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = relative(REPO_ROOT, join(entry.parentPath, entry.name));
    if (!file.includes('node_modules')) out.push(file);
  }
  return out.sort();
}

/** The module specifiers a file imports or re-exports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const found = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ];
  return found.map((m) => m[1] as string);
}

/** `specifier` of `file` as a repository-relative path, or the bare package name. */
function target(file: string, specifier: string): string {
  return specifier.startsWith('.')
    ? relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), specifier))
    : specifier;
}

const handlersAndLayers = [...sources('functions'), ...sources('layers')];

describe('layering', () => {
  it('finds the sources it checks', () => {
    expect(handlersAndLayers).toContain('functions/job-steps/job-steps.service.ts');
    expect(handlersAndLayers).toContain('layers/core/src/workflows/job-workflow.names.ts');
    expect(importsOf('functions/job-steps/job-steps.service.ts')).toContain('@switchyard/core');
  });

  it('no handler or layer imports infra/', () => {
    const offending = handlersAndLayers.flatMap((file) =>
      importsOf(file)
        .filter((s) => target(file, s).startsWith('infra/'))
        .map((s) => `${file}: ${s}`),
    );
    expect(offending).toEqual([]);
  });

  it('the adapters import neither handlers nor infra', () => {
    const offending = sources('layers/adapters').flatMap((file) =>
      importsOf(file)
        .filter((s) => /^(functions|infra)\//.test(target(file, s)))
        .map((s) => `${file}: ${s}`),
    );
    expect(offending).toEqual([]);
  });

  it('the core imports only itself and zod, and never reads the environment', () => {
    const offending = sources('layers/core').flatMap((file) => [
      ...importsOf(file)
        .filter((s) => !(s === 'zod' || target(file, s).startsWith('layers/core/')))
        .map((s) => `${file}: ${s}`),
      ...(readFileSync(join(REPO_ROOT, file), 'utf8').includes('process.env')
        ? [`${file}: process.env`]
        : []),
    ]);
    expect(offending).toEqual([]);
  });

  it('the core builds no zod schema at import: top-level schemas are z.lazy, no parse at module scope', () => {
    const eager = (text: string) => [
      ...text.matchAll(/^(?:export )?const (\w+)(?::[^=]+)? = (z\b(?!\s*\.\s*lazy\()|\w+Schema\s*\.)/gm),
      ...text.matchAll(/^(?:export )?const (\w+)(?::[^=]+)? = [^\n;]*\.(?:safeParse|parse)\(/gm),
    ];
    // The checks themselves see what they must reject.
    expect(eager('export const A = z.object({});\nconst B: T = Other.parse({});\n').map((m) => m[1])).toEqual(
      ['A', 'B'],
    );
    expect(eager('export const A = z.lazy(() => z.object({}));\nconst b = z\n  .lazy(() => x);\n')).toEqual(
      [],
    );
    expect(eager('const C = BaseSchema.omit({ a: true });\n').map((m) => m[1])).toEqual(['C']);
    const offending = sources('layers/core').flatMap((file) =>
      eager(readFileSync(join(REPO_ROOT, file), 'utf8')).map((m) => `${file}: ${m[1]}`),
    );
    expect(offending).toEqual([]);
  });
});
