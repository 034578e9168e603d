// Real bundling, offline and without Docker: the two layers (esbuild's JS API), one
// SwitchyardFunction on the layers and the self-contained router (NodejsFunction's local esbuild)
// are built into a cloud assembly, then the function bundles are run by Node: the layered one
// with the layers' packages resolvable, as on Lambda; the router with nothing beside it.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/app.config.ts';
import { SharedLayers } from '../../infra/constructs/shared-layers.construct.ts';
import { SwitchyardFunction } from '../../infra/constructs/switchyard-function.construct.ts';
import { type CfnResource, resources } from './template.helpers.ts';

let outdir: string;
let assets: { core: string; adapters: string; fn: string; router: string };

function assetDir(resource: CfnResource | undefined): string {
  const path = resource?.Metadata?.['aws:asset:path'];
  if (typeof path !== 'string') throw new Error('no asset path metadata');
  return join(outdir, path);
}

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'switchyard-bundling-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'Bundling');
  const layers = new SharedLayers(stack, 'Layers');
  new SwitchyardFunction(stack, 'Probe', { entry: 'test/infra/fixtures/esm-probe.handler.ts', layers });
  new SwitchyardFunction(stack, 'Router', {
    entry: 'functions/router/router.handler.ts',
    layers,
    selfContained: true,
  });
  const template = Template.fromStack(stack);
  const layerVersions = Object.fromEntries(
    resources(template, 'AWS::Lambda::LayerVersion').map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r]),
  );
  const fns = Object.fromEntries(
    resources(template, 'AWS::Lambda::Function').map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r]),
  );
  assets = {
    core: assetDir(layerVersions.LayersCore),
    adapters: assetDir(layerVersions.LayersAdapters),
    fn: assetDir(fns.Probe),
    router: assetDir(fns.Router),
  };
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('layer bundles', () => {
  it('core: nodejs/node_modules/@switchyard/core with index.mjs and a module package.json', () => {
    const dir = join(assets.core, 'nodejs/node_modules/@switchyard/core');
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toEqual({
      name: '@switchyard/core',
      type: 'module',
      exports: './index.mjs',
    });
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire } from 'module';")).toBe(true);
    // zod is bundled in: no bare imports other than node built-ins remain.
    // (An import or export statement's specifier: a string "from" in the code is not one.)
    expect(code.match(/\b(?:import|export)\b[\w\s{},*$]*from\s*"(?!node:|module")[^".][^"]*"/g)).toBeNull();
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
  });

  it('core: every exported error class keeps its name, minified without keepNames (each names itself)', async () => {
    const url = pathToFileURL(join(assets.core, 'nodejs/node_modules/@switchyard/core/index.mjs')).href;
    const core = (await import(url)) as Record<string, unknown>;
    const errorClasses = Object.entries(core).filter(
      (e): e is [string, new (...args: unknown[]) => Error] =>
        typeof e[1] === 'function' && e[1].prototype instanceof Error,
    );
    // Constructor arguments of the classes that take more than a message.
    const args: Record<string, unknown[]> = {
      SwitchyardError: ['m', 500, 'api_error'],
      RateLimitError: ['m', 1],
      InsufficientQuotaError: ['m', { budget: 'usd-month', period: '2026-12', resets_at: null }, null],
      NoCandidateError: ['health-down', 'm', []],
      UpstreamError: ['server', 'm', 500],
      ClientGoneError: [],
      TargetsExhaustedError: [[], false],
      PersonalDataRefusedError: [{}, 'policy'],
    };
    expect(errorClasses.map(([name]) => name).sort()).toEqual([
      'AuthenticationError',
      'BudgetUnavailableError',
      'ClientGoneError',
      'ConflictError',
      'InsufficientQuotaError',
      'InvalidRequestError',
      'ModelNotFoundError',
      'NoCandidateError',
      'NotFoundError',
      'PayloadTooLargeError',
      'PermissionDeniedError',
      'PersonalDataRefusedError',
      'RateLimitError',
      'SwitchyardError',
      'TargetsExhaustedError',
      'UpstreamError',
    ]);
    // The bundle is minified without keepNames: the classes themselves lost their names.
    expect(errorClasses.filter(([name, C]) => C.name === name)).toEqual([]);
    for (const [name, C] of errorClasses) expect(Reflect.construct(C, args[name] ?? ['m']).name).toBe(name);
  });

  it('adapters: one entry per subpath export; core stays external, the AWS SDK clients are bundled', () => {
    const dir = join(assets.adapters, 'nodejs/node_modules/@switchyard/adapters');
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      exports: Record<string, string>;
    };
    expect(manifest.exports).toEqual({
      '.': './index.mjs',
      './lambda': './lambda.mjs',
      './router': './router.mjs',
      './autoscaling': './autoscaling.mjs',
    });
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code).toMatch(/from\s*"@switchyard\/core"/);
    expect(code).not.toMatch(/from\s*"@aws-sdk\/[a-z-]+"/);
    // The router's entry reaches no control-plane client: none of their chunks is imported from it.
    const router = readFileSync(join(dir, 'router.mjs'), 'utf8');
    expect(router).not.toMatch(/@aws-sdk|SQSClient|SFNClient/);
    // Application Auto Scaling's client only behind its own subpath (the rollout step function's).
    // (Every file an entry reaches through its chunk imports, transitively.)
    const reach = (entry: string): string => {
      const seen = new Set<string>();
      const visit = (file: string): void => {
        if (seen.has(file)) return;
        seen.add(file);
        const text = readFileSync(join(dir, file), 'utf8');
        for (const m of text.matchAll(/"\.\.?\/(?:chunks\/)?([\w-]+\.mjs)"/g)) visit(`chunks/${m[1]}`);
      };
      visit(entry);
      return [...seen].map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    };
    expect(reach('autoscaling.mjs')).toContain('AnyScaleFrontendService');
    expect(reach('index.mjs')).not.toContain('AnyScaleFrontendService');
    expect(code).not.toContain('class SwitchyardError');
  });
});

describe('function bundle', () => {
  it('is ESM with the createRequire banner and a source map', () => {
    const code = readFileSync(join(assets.fn, 'index.mjs'), 'utf8');
    expect(
      code.startsWith(
        "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      ),
    ).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    expect(code).toContain('//# sourceMappingURL=index.mjs.map');
    expect(existsSync(join(assets.fn, 'index.mjs.map'))).toBe(true);
    for (const external of ['@switchyard/core', '@switchyard/adapters/lambda', '@aws-sdk/client-sqs']) {
      expect(code).toContain(`from"${external}"`);
    }
  });

  it('runs with the layers on the module path, keeping error class names', () => {
    // Lambda's layout, approximately: the function in task/, the layers' packages and the
    // runtime's AWS SDK resolvable from a node_modules above it.
    const root = join(outdir, 'lambda');
    mkdirSync(join(root, 'node_modules'), { recursive: true });
    cpSync(join(assets.core, 'nodejs/node_modules'), join(root, 'node_modules'), { recursive: true });
    cpSync(join(assets.adapters, 'nodejs/node_modules'), join(root, 'node_modules'), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules/@aws-sdk'), join(root, 'node_modules/@aws-sdk'));
    cpSync(assets.fn, join(root, 'task'), { recursive: true });
    const url = pathToFileURL(join(root, 'task/index.mjs')).href;
    const out = execFileSync(
      process.execPath,
      [
        '--enable-source-maps',
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(url)}); console.log(JSON.stringify(await m.handler()));`,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual({
      probe: 'ok',
      errorName: 'InvalidRequestError',
      status: 400,
      sqs: 'function',
    });
  });
});

/** Import and export specifiers of a bundle (a string "from" in the code is not one). */
const specifiers = (code: string): string[] =>
  [...code.matchAll(/\b(?:import|export)\b[\w\s{},*$]*from\s*"([^"]+)"/g)].map((m) => m[1] ?? '');

describe('self-contained router bundle', () => {
  /** index.mjs and the chunks it imports statically: what the router loads at init. */
  const atInit = (): Map<string, string> => {
    const files = new Map<string, string>();
    const visit = (rel: string) => {
      if (files.has(rel)) return;
      const code = readFileSync(join(assets.router, rel), 'utf8');
      files.set(rel, code);
      for (const s of specifiers(code)) visit(join(dirname(rel), s));
    };
    visit('index.mjs');
    return files;
  };
  const everything = (): string =>
    readdirSync(assets.router, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.mjs'))
      .map((f) => readFileSync(join(assets.router, f), 'utf8'))
      .join('\n');

  it('imports only its own chunks: core, adapters and the SDK clients are in it, built-ins by getBuiltinModule', () => {
    const files = atInit();
    expect(files.size).toBeGreaterThan(1);
    for (const [, code] of files) {
      expect(specifiers(code).filter((s) => !s.startsWith('./'))).toEqual([]);
      // Only the banner's `import { createRequire } from 'module'` (single quotes) imports a module.
      expect(code.match(/\bimport\b[\w\s{},*$]*from\s*'[^']+'/g)).toEqual([
        "import { createRequire } from 'module'",
      ]);
    }
    // An ESM import of node:http would build its namespace, and so load undici (see builtin-shims.ts).
    const all = everything();
    expect(all).toContain('getBuiltinModule("node:http")');
    expect(all).toContain('getBuiltinModule("node:crypto")');
  });

  it('loads the SageMaker runtime client only when used (a chunk)', () => {
    const init = [...atInit().values()].join('\n');
    const all = everything();
    for (const lazy of ['InvokeEndpointWithResponseStream']) {
      expect(all).toContain(lazy);
      expect(init).not.toContain(lazy);
    }
  });

  it('carries the part of zod the schemas use, not its locales (zod imported as a namespace)', () => {
    const all = everything();
    expect(all).toContain('invalid_type');
    expect(all).not.toContain('Ungültige Eingabe');
  });

  it('loads in a fresh process from a directory with no node_modules', () => {
    const task = join(mkdtempSync(join(tmpdir(), 'switchyard-router-')), 'task');
    cpSync(assets.router, task, { recursive: true });
    const url = pathToFileURL(join(task, 'index.mjs')).href;
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } }; const m = await import(${JSON.stringify(url)}); console.log(typeof m.handler);`,
      ],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          REGISTRY_TABLE: 'r',
          HEALTH_TABLE: 'h',
          TENANTS_TABLE: 't',
          BUDGETS_TABLE: 'b',
          USAGE_TABLE: 'u',
        },
      },
    );
    expect(out.trim()).toBe('function');
    rmSync(join(task, '..'), { recursive: true, force: true });
  });
});
