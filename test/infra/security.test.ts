// Template assertions on the security-relevant wiring: the REST API's resource policy (every
// route to anyone, `/admin/*` explicitly denied to all but the admin principals), the admin role
// and the same list in the admin function's environment, principals from props and context; who
// may read the tenants table (only the three signers, only the webhook secret); and API keys:
// the template holds no API key value, the authorizer reads only the keys table and its result
// cache is off by design.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { AdminAccess } from '../../infra/constructs/admin-access.construct.ts';
import { buildApp } from '../../infra/switchyard.app.ts';
import {
  type CfnResource,
  FIXTURE_REGISTRY,
  functionByEntry,
  functionEnv,
  type Json,
  props,
  render,
  resources,
  roleOf,
  roleStatements,
  synthApp,
  synthStacks,
  tableArn,
} from './template.helpers.ts';

const { statelessTemplate: template } = synthApp();

/** Active tracing's statement, the only one not about the function's own tables. */
const XRAY_WRITE = {
  Effect: 'Allow',
  Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
  Resource: ['*'],
};
const OPS = 'arn:aws:iam::111122223333:role/ops/PlatformAdmin';
const BOB = 'arn:aws:iam::111122223333:user/bob';
const withAdmins = Template.fromStack(synthStacks({ adminPrincipalArns: [OPS, BOB] }).code);
/** The real app with principals from the CDK context (comma-separated, blanks around). */
const fromContext = Template.fromStack(
  buildApp(
    new App({
      context: {
        'aws:cdk:bundling-stacks': [],
        'switchyard:registryFile': FIXTURE_REGISTRY,
        'switchyard:adminPrincipals': ` ${OPS} , ${BOB}`,
      },
    }),
  ).stateless,
);

const ADMIN = 'functions/admin/admin.handler.ts';
const SIGNERS = [
  'functions/job-steps/notify.handler.ts',
  'functions/dead-letter/dead-letter.handler.ts',
  'functions/job-watch/execution-ended.handler.ts',
];

interface PolicyStatementJson {
  Sid?: string;
  Effect: string;
  Principal: Json;
  Action: Json;
  Resource: Json;
  Condition?: Record<string, Record<string, Json>>;
}

function resourcePolicy(t: Template): PolicyStatementJson[] {
  const [[, api]] = resources(t, 'AWS::ApiGateway::RestApi') as [[string, CfnResource]];
  return (props(api).Policy as unknown as { Statement: PolicyStatementJson[] }).Statement;
}

const adminRoleId = (t: Template): string => {
  const roles = resources(t, 'AWS::IAM::Role').filter(([id]) => id.startsWith('AdminAccessRole'));
  expect(roles).toHaveLength(1);
  return (roles[0] as [string, CfnResource])[0];
};

describe('API resource policy', () => {
  it('allows every route to anyone, and denies /admin/* to every principal but the admin role', () => {
    const role = adminRoleId(template);
    expect(resourcePolicy(template)).toEqual([
      {
        Sid: 'InvokeAnyRoute',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*',
      },
      {
        Sid: 'AdminRoutesOnlyForAdminPrincipals',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*/*/admin/*',
        Condition: { ArnNotLike: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [role, 'Arn'] }] } },
      },
    ]);
  });

  it('the admin role is assumable from this account and may invoke only the admin routes', () => {
    const role = adminRoleId(template);
    const trust = (template.toJSON().Resources[role] as CfnResource).Properties?.AssumeRolePolicyDocument as {
      Statement: Array<Record<string, Json>>;
    };
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]?.Action).toBe('sts:AssumeRole');
    expect(trust.Statement[0]?.Principal).toEqual({
      AWS: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
      },
    });
    const statements = roleStatements(template, role);
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toEqual(['execute-api:Invoke']);
    expect(statements[0]?.Resource).toHaveLength(1);
    expect(statements[0]?.Resource[0]).toMatch(
      /^arn:\$\{AWS::Partition\}:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{ConsumerApi[0-9A-F]{8}\}\/\*\/\*\/admin\/\*$/,
    );
  });

  it('the admin function admits the same principals, and its role ARN is an output', () => {
    const role = adminRoleId(template);
    expect(render(functionEnv(template, ADMIN).ADMIN_PRINCIPAL_ARNS)).toBe(`\${${role}.Arn}`);
    const outputs = template.toJSON().Outputs as Record<string, { Value: Json }>;
    expect(render(outputs.AdminRoleArn?.Value)).toBe(`\${${role}.Arn}`);
  });

  it('adds principals from props and from the CDK context, in both places', () => {
    const [ops, bob] = [OPS, BOB];
    const fromProps = withAdmins;
    const role = adminRoleId(fromProps);
    const deny = resourcePolicy(fromProps)[1];
    expect(deny?.Condition).toEqual({
      ArnNotLike: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [role, 'Arn'] }, ops, bob] },
    });
    expect(render(functionEnv(fromProps, ADMIN).ADMIN_PRINCIPAL_ARNS)).toBe(`\${${role}.Arn},${ops},${bob}`);

    expect(render(functionEnv(fromContext, ADMIN).ADMIN_PRINCIPAL_ARNS)).toBe(
      `\${${adminRoleId(fromContext)}.Arn},${ops},${bob}`,
    );
  });

  it('refuses wildcards and non-ARNs as admin principals at synth', () => {
    for (const bad of ['arn:aws:iam::111122223333:role/*', '*', 'PlatformAdmin']) {
      const stack = new Stack(new App(), 'S');
      const api = new RestApi(stack, 'Api');
      api.root.addMethod('GET');
      expect(() => new AdminAccess(stack, 'Admin', { api, principalArns: [bad] })).toThrow(
        /^AdminAccess: admin principal .* is not an IAM role, user or root ARN$/,
      );
    }
  });

  it('a change of the policy is a new deployment (it takes effect on deploy)', () => {
    const deploymentId = (t: Template) =>
      (resources(t, 'AWS::ApiGateway::Deployment')[0] as [string, CfnResource])[0];
    expect(deploymentId(template)).not.toBe(deploymentId(fromContext));
  });
});

const ROUTER = 'functions/router/router.handler.ts';
/** The job functions that read a tenant's budget attributes: accept (a check) and plan (the hold). */
const BUDGET_READERS = ['functions/jobs/jobs.handler.ts', 'functions/job-steps/plan.handler.ts'];

describe('webhook secrets (tenants table)', () => {
  const tenantsStatements = (entry: string) => {
    const { fn } = functionByEntry(template, entry);
    return roleStatements(template, roleOf(fn)).filter((s) =>
      s.Resource.some((r) => tableArn('Tenants').test(r)),
    );
  };

  it.each(SIGNERS)('%s: GetItem of the key and webhook_secret only, with a projection', (entry) => {
    const { fn } = functionByEntry(template, entry);
    const policies = resources(template, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p.Properties?.Roles).includes(roleOf(fn)),
    );
    const statements = policies.flatMap(
      ([, p]) => (props(p).PolicyDocument as unknown as { Statement: Array<Record<string, Json>> }).Statement,
    );
    const tenants = statements.filter((s) => tableArn('Tenants').test(render(s.Resource)));
    expect(tenants).toHaveLength(1);
    expect(tenants[0]).toMatchObject({
      Action: 'dynamodb:GetItem',
      Effect: 'Allow',
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['id', 'webhook_secret'] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      },
    });
    expect(render(tenants[0]?.Resource)).not.toContain('/index/');
    expect(functionEnv(template, entry)).toHaveProperty('TENANTS_TABLE');
  });

  it('no other function may touch the tenants table (but the admin, which manages tenants)', () => {
    const others = resources(template, 'AWS::Lambda::Function')
      .map(([, r]) => r.Metadata?.['switchyard:entry'])
      .filter(
        (e): e is string =>
          typeof e === 'string' &&
          !SIGNERS.includes(e) &&
          e !== ROUTER &&
          !BUDGET_READERS.includes(e) &&
          e !== 'functions/admin/admin.handler.ts' &&
          e !== 'functions/usage-export/usage-export.handler.ts',
      );
    expect(others.length).toBeGreaterThan(7);
    for (const entry of others) {
      expect(tenantsStatements(entry), entry).toEqual([]);
      expect(functionEnv(template, entry), entry).not.toHaveProperty('TENANTS_TABLE');
    }
  });

  it.each([ROUTER, ...BUDGET_READERS])(
    '%s reads only the budget attributes of a tenant (never its webhook secret)',
    (entry) => {
      const { fn } = functionByEntry(template, entry);
      const statements = resources(template, 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties?.Roles).includes(roleOf(fn)))
        .flatMap(
          ([, p]) =>
            (props(p).PolicyDocument as unknown as { Statement: Array<Record<string, Json>> }).Statement,
        );
      const tenants = statements.filter((s) => tableArn('Tenants').test(render(s.Resource)));
      expect(tenants).toHaveLength(1);
      expect(tenants[0]).toMatchObject({
        Action: 'dynamodb:GetItem',
        Effect: 'Allow',
        Condition: {
          'ForAllValues:StringEquals': {
            'dynamodb:Attributes': [
              'id',
              'budget',
              'rate_limits',
              'updated_at',
              'revision',
              'allowed_models',
              'data_classification',
              'pii_action',
            ],
          },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      });
      expect(render(tenants[0]?.Resource)).not.toContain('/index/');
      expect(functionEnv(template, entry)).toHaveProperty('TENANTS_TABLE');
    },
  );

  it('the record step no longer calls webhooks: it touches only the jobs table (and puts usage records, settles budget holds)', () => {
    const { fn } = functionByEntry(template, 'functions/job-steps/record.handler.ts');
    const [xray, ...statements] = roleStatements(template, roleOf(fn));
    expect(xray).toEqual(XRAY_WRITE);
    let budgets = 0;
    for (const s of statements) {
      const usage = s.Resource.every((r) => tableArn('Usage').test(r));
      const budget = s.Resource.every((r) => tableArn('Budgets').test(r));
      if (usage) expect(s.Action).toEqual(['dynamodb:PutItem']);
      else if (budget) {
        budgets++;
        expect(s.Action).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
      } else expect(s.Resource.every((r) => tableArn('Jobs').test(r))).toBe(true);
    }
    expect(budgets).toBe(1);
  });
});

describe('API keys', () => {
  it('the template holds no API key, let alone a key value (keys are made by npm run keys)', () => {
    expect(resources(template, 'AWS::ApiGateway::ApiKey')).toEqual([]);
    expect(resources(template, 'AWS::ApiGateway::UsagePlanKey')).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/sk-sy-/);
  });

  it('the authorizer may read only the keys table itself (no index, no API Gateway, no tenants)', () => {
    const { fn } = functionByEntry(template, 'functions/authorizer/authorizer.handler.ts');
    const [xray, ...statements] = roleStatements(template, roleOf(fn));
    expect(xray).toEqual(XRAY_WRITE);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem'],
        Resource: [expect.stringMatching(tableArn('ApiKeys'))],
      },
    ]);
    expect(statements[0]?.Resource[0]).not.toContain('/index/');
  });

  it('API Gateway caches no authorizer result: either header may carry the key (see the README)', () => {
    const [[, authorizer]] = resources(template, 'AWS::ApiGateway::Authorizer') as [[string, CfnResource]];
    expect(authorizer.Properties?.AuthorizerResultTtlInSeconds).toBe(0);
    expect(authorizer.Properties).not.toHaveProperty('IdentitySource');
  });
});
