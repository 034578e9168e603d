// Template assertions on the admin surface and the rollout and health grants: every /admin route
// needs IAM auth and goes to the admin function (not the router); the admin function may write the
// registry and control rollout executions, the router may not; the rollout step function writes
// the registry and rollouts and only reads health; the health check loops probe rounds.
import { describe, expect, it } from 'vitest';
import { ADMIN_ROUTES } from '../../infra/constructs/admin-api.construct.ts';
import {
  type CfnResource,
  functionByEntry,
  functionEnv,
  type Json,
  render,
  resources,
  roleOf,
  roleStatements,
  statementsFor,
  synthApp,
  tableActions,
} from './template.helpers.ts';

const { statelessTemplate: template } = synthApp();
const ADMIN = 'functions/admin/admin.handler.ts';
const ROUTER = 'functions/router/router.handler.ts';
const STEPS = 'functions/rollout-steps/rollout-steps.handler.ts';
const HEALTH = 'functions/health-check/health-check.handler.ts';
const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

describe('admin routes', () => {
  const [[apiId]] = resources(template, 'AWS::ApiGateway::RestApi') as [[string, CfnResource]];
  const pathOf = (ref: Json | undefined): string => {
    const id = render(ref);
    if (id === `\${${apiId}.RootResourceId}`) return '';
    const res = template.toJSON().Resources[id.slice(2, -1)] as CfnResource;
    return `${pathOf(res.Properties?.ParentId)}/${String(res.Properties?.PathPart)}`;
  };
  const admin = resources(template, 'AWS::ApiGateway::Method')
    .map(([, m]) => ({
      route: `${String(m.Properties?.HttpMethod)} ${pathOf(m.Properties?.ResourceId)}`,
      props: m.Properties ?? {},
    }))
    .filter((m) => m.route.includes(' /admin'));

  it('are the documented ones', () => {
    expect(admin.map((m) => m.route).sort()).toEqual(
      ADMIN_ROUTES.map(([method, path]) => `${method} ${path}`).sort(),
    );
    expect(admin.map((m) => m.route)).toEqual(
      expect.arrayContaining([
        'GET /admin/health',
        'PUT /admin/models/{id}',
        'POST /admin/rollouts/{id}/rollback',
      ]),
    );
  });

  it('need IAM (SigV4) auth, no API key, and go to the admin function, not the router', () => {
    const { id: adminId } = functionByEntry(template, ADMIN);
    for (const m of admin) {
      expect(m.props, m.route).toMatchObject({ AuthorizationType: 'AWS_IAM' });
      expect(m.props.ApiKeyRequired ?? false, m.route).toBe(false);
      expect(m.props.AuthorizerId, m.route).toBeUndefined();
      expect(render((m.props.Integration as Record<string, Json>).Uri)).toContain(
        `\${${adminId}.Arn}/invocations`,
      );
    }
  });
});

describe('least privilege', () => {
  it('the admin function writes the registry and rollouts, reads health, controls only rollout executions', () => {
    expect(tableActions(template, ADMIN, 'Registry')).toEqual(expect.arrayContaining(WRITES));
    expect(tableActions(template, ADMIN, 'Rollouts')).toEqual(expect.arrayContaining(WRITES));
    expect(tableActions(template, ADMIN, 'Health')).toContain('dynamodb:Scan');
    expect(tableActions(template, ADMIN, 'Health')).not.toEqual(expect.arrayContaining(['dynamodb:PutItem']));
    expect(tableActions(template, ADMIN, 'Jobs')).toEqual([]);
    const states = statementsFor(template, ADMIN, 'states:');
    expect(new Set(states.flatMap((s) => s.Action))).toEqual(
      new Set(['states:StartExecution', 'states:DescribeExecution', 'states:StopExecution']),
    );
    for (const s of states) for (const r of s.Resource) expect(r).toMatch(/RolloutWorkflowStateMachine/);
    expect(statementsFor(template, ADMIN, 'sagemaker:')).toEqual([]);
  });

  it('the admin function manages tenants and keys, only queries usage, touches no budget', () => {
    expect(tableActions(template, ADMIN, 'Tenants')).toEqual(expect.arrayContaining(WRITES));
    expect(tableActions(template, ADMIN, 'ApiKeys')).toEqual(
      expect.arrayContaining([...WRITES, 'dynamodb:Query', 'dynamodb:GetItem']),
    );
    expect(tableActions(template, ADMIN, 'Usage')).toEqual(['dynamodb:Query']);
    expect(tableActions(template, ADMIN, 'Budgets')).toEqual([]);
  });

  it('the admin function may create and disable API Gateway keys and bind them to usage plans, nothing more', () => {
    const statements = statementsFor(template, ADMIN, 'apigateway:').map((s) => ({
      actions: [...s.Action].sort(),
      resources: s.Resource.map((r) =>
        r.replace(/^arn:\$\{AWS::Partition\}:apigateway:\$\{AWS::Region\}::/, ''),
      ),
    }));
    expect(statements).toEqual([
      {
        actions: ['apigateway:GET', 'apigateway:PATCH', 'apigateway:POST'],
        resources: ['/apikeys', '/apikeys/*'],
      },
      { actions: ['apigateway:GET'], resources: ['/usageplans'] },
      {
        actions: ['apigateway:DELETE', 'apigateway:POST'],
        resources: ['/usageplans/*/keys', '/usageplans/*/keys/*'],
      },
    ]);
    for (const fn of [ROUTER, STEPS, HEALTH])
      expect(statementsFor(template, fn, 'apigateway:'), fn).toEqual([]);
  });

  it('the router cannot write the registry, nor touch rollouts or their executions', () => {
    for (const action of WRITES) expect(tableActions(template, ROUTER, 'Registry')).not.toContain(action);
    expect(tableActions(template, ROUTER, 'Rollouts')).toEqual([]);
    expect(statementsFor(template, ROUTER, 'states:')).toEqual([]);
  });

  it('the rollout step function writes the registry and rollouts, only reads health, calls nothing else', () => {
    expect(tableActions(template, STEPS, 'Registry')).toEqual(expect.arrayContaining(WRITES));
    expect(tableActions(template, STEPS, 'Rollouts')).toEqual(expect.arrayContaining(WRITES));
    const health = tableActions(template, STEPS, 'Health');
    expect(health).toContain('dynamodb:Scan');
    for (const action of WRITES) expect(health).not.toContain(action);
    const { fn } = functionByEntry(template, STEPS);
    const all = roleStatements(template, roleOf(fn)).flatMap((s) => s.Action);
    expect(all.filter((a) => /^(states|sqs|lambda|sagemaker):/.test(a))).toEqual([]);
  });

  it('the health check runs 4 probe rounds 15 s apart within a 55 s run', () => {
    expect(functionEnv(template, HEALTH)).toMatchObject({ PROBE_ROUNDS: '4', PROBE_INTERVAL_MS: '15000' });
    expect(functionByEntry(template, HEALTH).fn.Properties?.Timeout).toBe(55);
  });
});
