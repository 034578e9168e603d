// Builds the CDK app: two environment-agnostic stacks (no lookups, so `cdk synth` needs no AWS
// account): SwitchyardStateful (tables, queues) and SwitchyardStateless (functions, API,
// workflow, schedule), which receives the stateful resources as typed props.
import { App } from 'aws-cdk-lib';
import { DEFAULT_SETTINGS, REGISTRY_FILE_CONTEXT, REPO_ROOT } from './app.config.ts';
import { routerComputeFrom } from './constructs/router-capacity.construct.ts';
import { acknowledgeNagFindings } from './nag-acknowledgements.ts';
import { loadSagemakerAutoscaling, loadSagemakerEndpointNames } from './registry-file.loader.ts';
import { StatefulStack } from './stacks/stateful.stack.ts';
import { StatelessStack } from './stacks/stateless.stack.ts';

const CROSS_STACK_REFERENCES = '@aws-cdk/core:defaultCrossStackReferences';

/** CDK context: more admin principals (ARNs, a list or comma-separated), besides the admin role. */
export const ADMIN_PRINCIPALS_CONTEXT = 'switchyard:adminPrincipals';

/** CDK context: `standard` (default) or `managed-instances` (`cdk deploy -c switchyard:routerCompute=managed-instances`). */
export const ROUTER_COMPUTE_CONTEXT = 'switchyard:routerCompute';

function adminPrincipalsFrom(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : String(value).split(',');
  return list.map((v) => String(v).trim()).filter((v) => v !== '');
}

export interface SwitchyardApp {
  app: App;
  stateful: StatefulStack;
  stateless: StatelessStack;
}

/** Builds the app; the registry file comes from the `switchyard:registryFile` context. */
export function buildApp(app: App = new App()): SwitchyardApp {
  const registryFile = app.node.tryGetContext(REGISTRY_FILE_CONTEXT) as unknown;
  if (typeof registryFile !== 'string' || registryFile === '') {
    throw new Error(`set the CDK context "${REGISTRY_FILE_CONTEXT}" to the registry file (see cdk.json)`);
  }
  // Classic exports (Fn::ImportValue): they protect the stateful stack from deletion while the
  // stateless one uses it, and the local stack resolves them. cdk.json or -c may still override.
  if (app.node.tryGetContext(CROSS_STACK_REFERENCES) === undefined) {
    app.node.setContext(CROSS_STACK_REFERENCES, 'strong');
  }
  const settings = DEFAULT_SETTINGS;
  const stateful = new StatefulStack(app, 'SwitchyardStateful', {
    description:
      'Switchyard: registry, health, jobs, API key and rollout tables; job queues and dead-letter queue',
    settings,
  });
  const stateless = new StatelessStack(app, 'SwitchyardStateless', {
    description:
      'Switchyard: API, authorizer, router, jobs, admin, health checks, job and rollout workflows, workers',
    tables: stateful.tables,
    queues: stateful.queues,
    usageArchive: stateful.usageArchive.bucket,
    sagemakerEndpointNames: loadSagemakerEndpointNames(registryFile, REPO_ROOT),
    sagemakerAutoscaling: loadSagemakerAutoscaling(registryFile, REPO_ROOT),
    settings,
    adminPrincipalArns: adminPrincipalsFrom(app.node.tryGetContext(ADMIN_PRINCIPALS_CONTEXT)),
    routerCompute: routerComputeFrom(app.node.tryGetContext(ROUTER_COMPUTE_CONTEXT)),
  });
  acknowledgeNagFindings(stateless, stateful);
  return { app, stateful, stateless };
}
