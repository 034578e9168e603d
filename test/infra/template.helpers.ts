// Helpers for the infra template tests: synthesize the app (or a pair of stacks with custom
// props) quickly, render CloudFormation values with their tokens as readable placeholders, read
// a function's environment, collect the IAM statements of a function's role (and its actions on
// one table), and find a state machine and parse its DefinitionString into ASL.
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StatefulStack } from '../../infra/stacks/stateful.stack.ts';
import { StatelessStack, type StatelessStackProps } from '../../infra/stacks/stateless.stack.ts';
import { buildApp, type SwitchyardApp } from '../../infra/switchyard.app.ts';

export const FIXTURE_REGISTRY = 'test/infra/fixtures/registry.yaml';

export interface Synthesized extends SwitchyardApp {
  statefulTemplate: Template;
  statelessTemplate: Template;
}

/**
 * An App for tests: bundling skipped (no esbuild) and CDK's built-in CloudFormation validation off
 * (it costs seconds of CPU per synth and, without `@aws-cdk/core:validateAgainstDefaultRules`, only
 * warns; `cdk synth` still runs it).
 */
const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

export function testApp(context: Record<string, unknown> = {}): App {
  return new App({
    // The feature flags of cdk.json, so tests see the templates `cdk deploy` ships.
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: false,
  });
}

/** Builds the real app against a registry file, with more CDK context (e.g. `switchyard:routerCompute`). */
export function synthApp(
  registryFile = FIXTURE_REGISTRY,
  context: Record<string, unknown> = {},
): Synthesized {
  const app = testApp({ 'switchyard:registryFile': registryFile, ...context });
  const built = buildApp(app);
  return {
    ...built,
    statefulTemplate: Template.fromStack(built.stateful),
    statelessTemplate: Template.fromStack(built.stateless),
  };
}

/**
 * A StatefulStack `Data` and a StatelessStack `Code` on its tables and queues, with `props` (by
 * default no SageMaker endpoints), for assertions on settings the app itself does not pass.
 */
export function synthStacks(props: Partial<StatelessStackProps> = {}): {
  data: StatefulStack;
  code: StatelessStack;
} {
  const app = testApp();
  const data = new StatefulStack(app, 'Data');
  const code = new StatelessStack(app, 'Code', {
    tables: data.tables,
    queues: data.queues,
    usageArchive: data.usageArchive.bucket,
    sagemakerEndpointNames: [],
    ...props,
  });
  return { data, code };
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}

/**
 * Renders a value with intrinsics as one string: `{Ref: X}` -> `${X}`, GetAtt -> `${X.Attr}`,
 * ImportValue -> `${import:name}`, Fn::Join joined. Other objects render as JSON.
 */
export function render(value: Json | undefined): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return JSON.stringify(value.map(render));
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const arg = value[keys[0] as string];
    switch (keys[0]) {
      case 'Ref':
        return `\${${String(arg)}}`;
      case 'Fn::GetAtt':
        return `\${${(arg as string[]).join('.')}}`;
      case 'Fn::ImportValue':
        return `\${import:${render(arg)}}`;
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, Json[]];
        return parts.map(render).join(sep);
      }
    }
  }
  return JSON.stringify(value);
}

/** `${name}`: how `render` shows a Ref. */
export function token(name: string): string {
  return `\${${name}}`;
}

/** A resource's Properties, never undefined. */
export function props(resource: CfnResource | undefined): Record<string, Json> {
  return resource?.Properties ?? {};
}

export function resources(template: Template, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.findResources(type)) as Array<[string, CfnResource]>;
}

/** The Lambda function whose `switchyard:entry` metadata is `entry`. */
export function functionByEntry(template: Template, entry: string): { id: string; fn: CfnResource } {
  const hits = resources(template, 'AWS::Lambda::Function').filter(
    ([, r]) => r.Metadata?.['switchyard:entry'] === entry,
  );
  if (hits.length !== 1) throw new Error(`expected one function for ${entry}, found ${hits.length}`);
  const [id, fn] = hits[0] as [string, CfnResource];
  return { id, fn };
}

/** A function's environment variables ({} when it has none). */
export function envOf(fn: CfnResource | undefined): Record<string, Json> {
  return (fn?.Properties?.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
}

/** The environment variables of the function whose `switchyard:entry` is `entry`. */
export function functionEnv(template: Template, entry: string): Record<string, Json> {
  return envOf(functionByEntry(template, entry).fn);
}

export interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
  /** The statement's condition, when it has one (as in the template). */
  Condition?: Json;
}

function asList(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Every statement of the inline policies attached to role `roleId`, tokens rendered. */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const out: Statement[] = [];
  for (const [, policy] of resources(template, 'AWS::IAM::Policy')) {
    const roles = asList(policy.Properties?.Roles).map(render);
    if (!roles.includes(`\${${roleId}}`)) continue;
    const doc = policy.Properties?.PolicyDocument as { Statement: Array<Record<string, Json>> };
    for (const s of doc.Statement) {
      out.push({
        Effect: String(s.Effect),
        Action: asList(s.Action).map(render),
        Resource: asList(s.Resource).map(render),
        ...(s.Condition === undefined ? {} : { Condition: s.Condition }),
      });
    }
  }
  return out;
}

/** The role logical id of a function (`Role: {Fn::GetAtt: [id, Arn]}`). */
export function roleOf(fn: CfnResource): string {
  const role = fn.Properties?.Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}

/** Statements of the function's role granting any action that starts with `prefix`. */
export function statementsFor(template: Template, entry: string, prefix: string): Statement[] {
  const { fn } = functionByEntry(template, entry);
  return roleStatements(template, roleOf(fn)).filter((s) => s.Action.some((a) => a.startsWith(prefix)));
}

export type TableId =
  | 'Registry'
  | 'Health'
  | 'Jobs'
  | 'ApiKeys'
  | 'Rollouts'
  | 'Tenants'
  | 'Budgets'
  | 'Usage'
  | 'Decisions';

/** How `render` shows the stateless stack's import of table `id`'s ARN (index ARNs extend it). */
export function tableArn(id: TableId): RegExp {
  return new RegExp(`^\\$\\{import:SwitchyardStateful:ExportsOutputFnGetAttTables${id}[0-9A-F]{8}Arn`);
}

/** The DynamoDB actions the function `entry` may take on table `id`, sorted. */
export function tableActions(template: Template, entry: string, id: TableId): string[] {
  return statementsFor(template, entry, 'dynamodb:')
    .filter((s) => s.Resource.some((r) => tableArn(id).test(r)))
    .flatMap((s) => s.Action)
    .sort();
}

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Resource?: string;
  Parameters?: Record<string, Json>;
  ResultPath?: string | null;
  ResultSelector?: Record<string, Json>;
  TimeoutSeconds?: number;
  Choices?: Array<Record<string, Json>>;
  Retry?: Array<{
    ErrorEquals: string[];
    IntervalSeconds?: number;
    MaxAttempts?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: string;
  }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
}

export interface Asl {
  StartAt: string;
  QueryLanguage?: string;
  TimeoutSeconds?: number;
  States: Record<string, AslState>;
}

/**
 * Parses a DefinitionString: joins the Fn::Join parts, each token object replaced by a
 * placeholder (`${LogicalId.Arn}`), then JSON.parse.
 */
export function parseDefinition(definition: Json | undefined): Asl {
  if (typeof definition === 'string') return JSON.parse(definition) as Asl;
  return JSON.parse(render(definition)) as Asl;
}

/** The state machine whose logical id starts with `idPrefix`, its definition, and one state by name. */
export function stateMachine(
  template: Template,
  idPrefix: string,
): { machine: CfnResource; asl: Asl; state: (name: string) => AslState & Record<string, unknown> } {
  const hits = resources(template, 'AWS::StepFunctions::StateMachine').filter(([id]) =>
    id.startsWith(idPrefix),
  );
  if (hits.length !== 1) throw new Error(`expected one state machine ${idPrefix}, found ${hits.length}`);
  const [, machine] = hits[0] as [string, CfnResource];
  const asl = parseDefinition(machine.Properties?.DefinitionString);
  const state = (name: string) => {
    const s = asl.States[name];
    if (!s) throw new Error(`no state ${name}`);
    return s as AslState & Record<string, unknown>;
  };
  return { machine, asl, state };
}
