// Synthesizes the CDK app in this process, without bundling (the local stack runs the handler
// sources), and returns the templates the local stack is built from. CDK's built-in CloudFormation
// template validation is off here (it costs seconds of CPU per start and nothing is deployed);
// `cdk synth` and `cdk deploy` still run it.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { REGISTRY_FILE_CONTEXT, REPO_ROOT } from '../app.config.ts';
import { buildApp } from '../switchyard.app.ts';
import type { CfnStack, CfnTemplate } from './cfn.ts';

export async function synthesizeTemplates(registryFile: string): Promise<CfnStack[]> {
  // cdk.json's feature flags, so the local templates are the ones `cdk deploy` ships.
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: object };
  const app = new App({
    context: {
      ...cdkJson.context,
      [REGISTRY_FILE_CONTEXT]: relative(REPO_ROOT, registryFile),
      'aws:cdk:bundling-stacks': [],
    },
    builtinCloudFormationValidation: false,
    outdir: undefined,
  });
  const { stateful, stateless } = buildApp(app);
  const assembly = app.synth();
  return [stateful, stateless].map((s) => ({
    name: s.stackName,
    template: assembly.getStackByName(s.stackName).template as CfnTemplate,
  }));
}
