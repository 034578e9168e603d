// The shared code as Lambda layers: `@switchyard/core` and `@switchyard/adapters`, each bundled
// by esbuild on this machine (no Docker) into `nodejs/node_modules/@switchyard/<name>/` with an
// ESM entry per subpath export of the workspace package (`.` -> index.mjs, `./lambda` ->
// lambda.mjs) and a package.json mapping them, so handlers import them by package name.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { AssetHashType, type BundlingOptions, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type * as esbuild from 'esbuild';
import { REPO_ROOT } from '../app.config.ts';
import { builtinAliases } from '../bundling/builtin-shims.ts';

/** Banner for ESM bundles: CommonJS dependencies inside them still find `require`. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** esbuild target matching the functions' runtime. */
export const NODE_TARGET = 'node22';

interface WorkspacePackage {
  name: string;
  exports: Record<string, string>;
}

function readWorkspacePackage(dir: string): WorkspacePackage {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Partial<WorkspacePackage>;
  if (typeof pkg.name !== 'string' || pkg.exports === null || typeof pkg.exports !== 'object') {
    throw new Error(`${dir}/package.json: a layer package needs a name and an exports map`);
  }
  return { name: pkg.name, exports: pkg.exports };
}

/** `.` -> `index`, `./lambda` -> `lambda`, `./a/b` -> `a/b`. */
function entryName(subpath: string): string {
  return subpath === '.' ? 'index' : subpath.replace(/^\.\//, '');
}

/** Bundles one workspace package into a layer directory with esbuild's JS API (synchronously). */
export class EsbuildLayerBundling implements ILocalBundling {
  constructor(
    private readonly packageDir: string,
    private readonly external: readonly string[],
  ) {}

  tryBundle(outputDir: string, _options: BundlingOptions): boolean {
    const pkg = readWorkspacePackage(this.packageDir);
    const outdir = join(outputDir, 'nodejs', 'node_modules', pkg.name);
    const entryPoints: Record<string, string> = {};
    const exports: Record<string, string> = {};
    for (const [subpath, source] of Object.entries(pkg.exports)) {
      const name = entryName(subpath);
      entryPoints[name] = join(this.packageDir, source);
      exports[subpath] = `./${name}.mjs`;
    }
    splitBuild({ entryPoints, outdir, external: [...this.external] });
    // A single entry is written as `exports: './index.mjs'`; subpaths as a map.
    const single = Object.keys(exports).length === 1 ? exports['.'] : undefined;
    const manifest = { name: pkg.name, type: 'module', exports: single ?? exports };
    writeFileSync(join(outdir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return true;
  }
}

/**
 * Bundles one self-contained function (its handler file, everything it imports bundled in) with
 * esbuild's JS API, code-split: `index.mjs` holds what the handler loads at init, and each dynamic
 * import (the SDK's credential providers, the SageMaker runtime client) becomes a chunk loaded
 * only when it runs. NodejsFunction's own bundling writes one file, in which esbuild compiles
 * every dynamically imported module at init too.
 */
export class EsbuildFunctionBundling implements ILocalBundling {
  constructor(
    private readonly entry: string,
    private readonly external: readonly string[],
  ) {}

  tryBundle(outputDir: string, _options: BundlingOptions): boolean {
    splitBuild({
      entryPoints: { index: join(REPO_ROOT, this.entry) },
      outdir: outputDir,
      external: [...this.external],
      tsconfig: join(REPO_ROOT, 'tsconfig.json'),
    });
    return true;
  }
}

export interface SharedLayersProps {
  /**
   * Runtime the layers are built for.
   * @default Runtime.NODEJS_22_X
   */
  readonly runtime?: Runtime;
  /**
   * Architecture the layers are built for.
   * @default Architecture.ARM_64
   */
  readonly architecture?: Architecture;
  /**
   * Bundle the AWS SDK clients the adapters use into the adapters layer (minified, tree-shaken,
   * split per entry) instead of loading the runtime's copy: `npm run bench -- --only coldstart`
   * measures both; bundled loads the router several times faster.
   * @default true
   */
  readonly bundleAwsSdk?: boolean;
}

export class SharedLayers extends Construct {
  /** `@switchyard/core`: the pure routing core, zod bundled in. */
  public readonly core: LayerVersion;
  /** `@switchyard/adapters`: AWS and HTTP adapters; `@switchyard/core` stays external (and `@aws-sdk/*` unless bundled). */
  public readonly adapters: LayerVersion;
  /** Both layers, in the order functions attach them. */
  public readonly all: readonly LayerVersion[];

  constructor(scope: Construct, id: string, props: SharedLayersProps = {}) {
    super(scope, id);
    const runtime = props.runtime ?? Runtime.NODEJS_22_X;
    const architecture = props.architecture ?? Architecture.ARM_64;
    const layer = (layerId: string, dir: string, external: string[], description: string): LayerVersion => {
      const packageDir = join(REPO_ROOT, 'layers', dir);
      return new LayerVersion(this, layerId, {
        code: Code.fromAsset(packageDir, {
          assetHashType: AssetHashType.OUTPUT,
          bundling: {
            // Never used: local bundling either succeeds or throws. CDK requires an image.
            image: DockerImage.fromRegistry('dummy'),
            local: new EsbuildLayerBundling(packageDir, external),
          },
        }),
        compatibleRuntimes: [runtime],
        compatibleArchitectures: [architecture],
        description,
      });
    };
    this.core = layer(
      'Core',
      'core',
      [],
      '@switchyard/core: the routing core (pure TypeScript, zod bundled)',
    );
    const bundleAwsSdk = props.bundleAwsSdk ?? true;
    this.adapters = layer(
      'Adapters',
      'adapters',
      bundleAwsSdk ? ['@switchyard/core'] : ['@switchyard/core', '@aws-sdk/*'],
      bundleAwsSdk
        ? '@switchyard/adapters: DynamoDB, SQS, Step Functions, SageMaker and HTTP adapters, AWS SDK clients bundled'
        : '@switchyard/adapters: DynamoDB, SQS, Step Functions, SageMaker and HTTP adapters',
    );
    this.all = [this.core, this.adapters];
  }
}

/**
 * How every bundle is built for Node (layers and self-contained functions alike; the overhead
 * bench builds its router the same way): ESM for the functions' runtime, minified, names
 * included (error classes name themselves: see SwitchyardFunction's keepNames), node built-ins
 * through the shims.
 */
export function nodeBundleOptions(): esbuild.BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: NODE_TARGET,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    alias: { ...builtinAliases() },
    minify: true,
    keepNames: false,
  };
}

/**
 * One code-split ESM build (nodeBundleOptions), source maps without sources. esbuild is loaded
 * here, not at module scope: synth with bundling skipped (the tests) never needs it.
 */
function splitBuild(
  options: Required<Pick<esbuild.BuildOptions, 'entryPoints' | 'outdir' | 'external'>> &
    Pick<esbuild.BuildOptions, 'tsconfig'>,
): void {
  const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof esbuild;
  buildSync({
    ...nodeBundleOptions(),
    absWorkingDir: REPO_ROOT,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
    ...options,
  });
}
