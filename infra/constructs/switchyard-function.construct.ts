// The one Lambda function construct every Switchyard handler uses: Node.js 22 on arm64, an ESM
// bundle built by esbuild (no Docker), source maps, the shared layers attached (their packages
// stay external) or, self-contained, the shared code and the SDK clients bundled in and
// tree-shaken, a log group with retention, X-Ray active tracing, Powertools settings, and
// CloudFormation Metadata naming the handler file and export so the local stack can bind the
// real code to it.
import { dirname, join } from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, type CfnFunction, Code, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  ENV,
  FUNCTION_ENTRY_METADATA,
  FUNCTION_HANDLER_METADATA,
  REPO_ROOT,
  SHARED_ENV_DEFAULTS,
} from '../app.config.ts';
import { builtinAliases } from '../bundling/builtin-shims.ts';
import {
  ESM_REQUIRE_BANNER,
  EsbuildFunctionBundling,
  NODE_TARGET,
  type SharedLayers,
} from './shared-layers.construct.ts';

/** Modules the function bundles leave out: the runtime's AWS SDK and the two layers. */
export const FUNCTION_EXTERNAL_MODULES = ['@aws-sdk/*', '@switchyard/core', '@switchyard/adapters'];

/** `NODE_OPTIONS` of a function that maps stack traces through its source maps at run time. */
export const SOURCE_MAPS_NODE_OPTIONS = '--enable-source-maps';

export interface SwitchyardFunctionProps {
  /** Handler file relative to the repository root, e.g. `functions/router/router.handler.ts`. */
  readonly entry: string;
  /**
   * Exported handler name in `entry`.
   * @default 'handler'
   */
  readonly handler?: string;
  /** The shared layers (`@switchyard/core`, `@switchyard/adapters`). Not attached when `selfContained`. */
  readonly layers: SharedLayers;
  /**
   * Bundle `@switchyard/core`, `@switchyard/adapters` and the AWS SDK clients into the function
   * itself, tree-shaken, instead of attaching the layers: only the code the handler reaches is
   * loaded at init (a layer's entry must carry all it exports). For a function whose cold start
   * is on a caller's path (the router): `npm run bench -- --only coldstart` measures both.
   * Bundled code-split by esbuild's JS API (EsbuildFunctionBundling); the `bundling` settings
   * below are NodejsFunction's, for the other functions.
   * @default false
   */
  readonly selfContained?: boolean;
  /**
   * With `selfContained`: bundle the AWS SDK clients too (tree-shaken) rather than load the
   * runtime's copy of `@aws-sdk/*`.
   * @default true
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * Map stack traces through the bundle's source maps at run time (`NODE_OPTIONS=--enable-source-maps`).
   * Node then reads and parses every loaded module's map during init; without it, traces carry
   * the bundle's minified names and positions, which its shipped `.map` resolves offline.
   * @default true
   */
  readonly runtimeSourceMaps?: boolean;
  /**
   * Memory in MB (on Lambda, CPU scales with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Function timeout.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * The function's own environment variables (table names, queue URLs...), added to the shared
   * ones (Powertools, NODE_OPTIONS).
   * @default {}
   */
  readonly environment?: Record<string, string>;
  /**
   * Log level for Powertools Logger (`POWERTOOLS_LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * A human description of the function.
   * @default - none
   */
  readonly description?: string;
  /**
   * Lambda runtime (Node.js 22 or later).
   * @default Runtime.NODEJS_22_X
   */
  readonly runtime?: Runtime;
}

export class SwitchyardFunction extends NodejsFunction {
  /** The handler file, relative to the repository root (also in the resource's Metadata). */
  public readonly entryPath: string;
  public readonly handlerName: string;

  constructor(scope: Construct, id: string, props: SwitchyardFunctionProps) {
    const handlerName = props.handler ?? 'handler';
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: join(REPO_ROOT, props.entry),
      handler: props.selfContained ? `index.${handlerName}` : handlerName,
      // Self-contained: code-split by esbuild's JS API (EsbuildFunctionBundling), not NodejsFunction's one file.
      ...(props.selfContained
        ? {
            code: Code.fromAsset(join(REPO_ROOT, dirname(props.entry)), {
              assetHashType: AssetHashType.OUTPUT,
              bundling: {
                // Never used: local bundling either succeeds or throws. CDK requires an image.
                image: DockerImage.fromRegistry('dummy'),
                local: new EsbuildFunctionBundling(
                  props.entry,
                  (props.bundleAwsSdk ?? true) ? [] : ['@aws-sdk/*'],
                ),
              },
            }),
          }
        : {}),
      runtime: props.runtime ?? Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description,
      layers: props.selfContained ? [] : [...props.layers.all],
      logGroup,
      // X-Ray: a segment per invocation (Lambda's own); the async steps add SDK subsegments (Powertools Tracer).
      tracing: Tracing.ACTIVE,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      environment: {
        ...((props.runtimeSourceMaps ?? true) ? { NODE_OPTIONS: SOURCE_MAPS_NODE_OPTIONS } : {}),
        [ENV.powertoolsServiceName]: SHARED_ENV_DEFAULTS.serviceName,
        [ENV.powertoolsLogLevel]: props.logLevel ?? SHARED_ENV_DEFAULTS.logLevel,
        // Traces never carry prompts or answers: no response or error payloads as trace metadata.
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
        POWERTOOLS_TRACER_CAPTURE_ERROR: 'false',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        target: NODE_TARGET,
        externalModules: FUNCTION_EXTERNAL_MODULES,
        esbuildArgs: Object.fromEntries(
          Object.entries(builtinAliases()).map(([m, to]) => [`--alias:${m}`, to]),
        ),
        minify: true,
        // No keepNames: it wraps every closure the hot path creates in a defineProperty call (about
        // 10 % of the router handler's own time). Error names, which Step Functions and the logs
        // match on, are set explicitly by each error class (a bundling test checks them).
        keepNames: false,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        tsconfig: join(REPO_ROOT, 'tsconfig.json'),
        logLevel: LogLevel.WARNING,
      },
    });
    this.entryPath = props.entry.split('\\').join('/');
    this.handlerName = handlerName;
    const cfn = this.node.defaultChild as CfnFunction;
    cfn.addMetadata(FUNCTION_ENTRY_METADATA, this.entryPath);
    cfn.addMetadata(FUNCTION_HANDLER_METADATA, handlerName);
  }
}
