// cdk-nag's AwsSolutions pack on the whole app, in both router compute modes: no finding is left
// that nag-acknowledgements.ts does not acknowledge with a reason, and each acknowledgement has one.
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { STACK_ACKNOWLEDGEMENTS } from '../../infra/nag-acknowledgements.ts';
import { buildApp } from '../../infra/switchyard.app.ts';
import { FIXTURE_REGISTRY, testApp } from './template.helpers.ts';

function findings(context: Record<string, unknown>, registryFile = FIXTURE_REGISTRY): string[] {
  const app = testApp({ 'switchyard:registryFile': registryFile, ...context });
  buildApp(app);
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((v) =>
    v.violatingResources.map(
      (r) => `${v.ruleName} ${(r as { constructPath?: string }).constructPath ?? '?'}`,
    ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('standard Lambda: every finding fixed or acknowledged', () => {
    expect(findings({})).toEqual([]);
  });

  it('managed instances (VPC, capacity provider) and endpoint autoscaling: every finding fixed or acknowledged', () => {
    expect(
      findings(
        { 'switchyard:routerCompute': 'managed-instances' },
        'test/infra/fixtures/registry-autoscaling.yaml',
      ),
    ).toEqual([]);
  });

  it('stack-wide acknowledgements are the three by-design ones, each with a reason', () => {
    expect(STACK_ACKNOWLEDGEMENTS.map((a) => a.id)).toEqual([
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-L1',
    ]);
    for (const a of STACK_ACKNOWLEDGEMENTS) expect(a.reason.length).toBeGreaterThan(80);
  });
});
