// The admin function's own check: the SigV4 caller (a role session, a user, a root) must be one
// of ADMIN_PRINCIPAL_ARNS; a role session matches its role whatever the role's path; anything
// else, an empty list and a missing caller are refused; bad list entries fail at start. Then the
// handler itself: a 403 in the OpenAI shape for a non-admin caller, before any route runs.
import { AdminPrincipals, adminPrincipalProblem } from '@switchyard/adapters';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';

const ROLE = 'arn:aws:iam::123456789012:role/SwitchyardStateless-AdminAccessRole1A2B3C';
const PATH_ROLE = 'arn:aws:iam::123456789012:role/ops/team/PlatformAdmin';
const USER = 'arn:aws:iam::123456789012:user/alice';
const ROOT = 'arn:aws:iam::210987654321:root';

describe('AdminPrincipals', () => {
  const admins = new AdminPrincipals([ROLE, PATH_ROLE, USER, ROOT]);

  it.each([
    ['arn:aws:sts::123456789012:assumed-role/SwitchyardStateless-AdminAccessRole1A2B3C/alice', true],
    ['arn:aws:sts::123456789012:assumed-role/PlatformAdmin/ci-run-7', true],
    ['arn:aws:iam::123456789012:user/alice', true],
    ['arn:aws:iam::210987654321:root', true],
    ['arn:aws:sts::999999999999:assumed-role/PlatformAdmin/x', false],
    ['arn:aws:sts::123456789012:assumed-role/PlatformAdmin2/x', false],
    ['arn:aws:sts::123456789012:assumed-role/Platform/x', false],
    ['arn:aws-cn:sts::123456789012:assumed-role/PlatformAdmin/x', false],
    ['arn:aws:iam::123456789012:user/bob', false],
    ['arn:aws:iam::123456789012:user/ops/alice', false],
    ['arn:aws:iam::123456789012:root', false],
    ['arn:aws:iam::123456789012:role/ops/team/PlatformAdmin', false],
    ['arn:aws:sts::123456789012:federated-user/alice', false],
    ['', false],
    [undefined, false],
  ])('%s -> %s', (caller, expected) => {
    expect(admins.allows(caller)).toBe(expected);
  });

  it('an empty or missing list admits no one', () => {
    for (const list of ['', ' , ', undefined]) {
      const none = AdminPrincipals.fromList(list);
      expect(none.size).toBe(0);
      expect(none.allows(USER)).toBe(false);
    }
  });

  it('parses a comma-separated list, blanks ignored', () => {
    const two = AdminPrincipals.fromList(` ${USER} ,, ${ROLE} `);
    expect(two.size).toBe(2);
    expect(two.allows(USER)).toBe(true);
  });

  it.each([
    'arn:aws:iam::123456789012:role/*',
    'arn:aws:iam::*:root',
    'arn:aws:sts::123456789012:assumed-role/Admin/session',
    'arn:aws:iam::12345:user/alice',
    'Admin',
    '*',
  ])('refuses %s as an entry', (arn) => {
    expect(() => new AdminPrincipals([arn])).toThrow(/is not an IAM role, user or root ARN/);
    expect(adminPrincipalProblem(arn)).toMatch(/is not an IAM role, user or root ARN/);
  });

  it('role paths, other partitions and users with paths are valid entries', () => {
    for (const arn of [
      PATH_ROLE,
      'arn:aws-us-gov:iam::123456789012:role/Admin',
      'arn:aws:iam::123456789012:user/ops/bob',
    ]) {
      expect(adminPrincipalProblem(arn)).toBeUndefined();
    }
    expect(
      new AdminPrincipals(['arn:aws-us-gov:iam::123456789012:role/Admin']).allows(
        'arn:aws-us-gov:sts::123456789012:assumed-role/Admin/s',
      ),
    ).toBe(true);
  });
});

describe('admin handler', () => {
  type Handler = typeof import('../../functions/admin/admin.handler.ts')['handler'];
  let handler: Handler;

  beforeAll(async () => {
    Object.assign(process.env, {
      REGISTRY_TABLE: 'registry',
      HEALTH_TABLE: 'health',
      ROLLOUTS_TABLE: 'rollouts',
      ROLLOUT_WORKFLOW_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:rollout',
      API_KEYS_TABLE: 'api-keys',
      TENANTS_TABLE: 'tenants',
      USAGE_TABLE: 'usage',
      USAGE_PLAN_NAMES: '{"free":"free","standard":"standard","enterprise":"enterprise"}',
      ADMIN_PRINCIPAL_ARNS: `${ROLE},${USER}`,
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    ({ handler } = await import('../../functions/admin/admin.handler.ts'));
  });

  const request = (userArn: string | null, path = '/admin/nothing-here') =>
    ({
      httpMethod: 'GET',
      resource: path,
      path,
      headers: {},
      queryStringParameters: null,
      pathParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: 'r1', identity: { userArn } },
    }) as unknown as APIGatewayProxyEvent;
  const context = { awsRequestId: 'r1', functionName: 'admin' } as unknown as Context;

  it.each([
    ['a broad execute-api:Invoke holder', 'arn:aws:sts::123456789012:assumed-role/SomeAppRole/app'],
    ['an unsigned caller', null],
  ])('refuses %s with a 403 before any route runs', async (_, userArn) => {
    const res = await handler(request(userArn), context);
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body)).toEqual({
      error: {
        message:
          'The admin API is open only to the admin principals this deployment names; this caller is not one.',
        type: 'permission_error',
        param: null,
        code: 'not_admin',
      },
    });
  });

  it('lets an admin principal through to the routes (here: an unknown one, 404)', async () => {
    const res = await handler(
      request('arn:aws:sts::123456789012:assumed-role/SwitchyardStateless-AdminAccessRole1A2B3C/ops'),
      context,
    );
    expect(res.statusCode).toBe(404);
    const user = await handler(request(USER), context);
    expect(user.statusCode).toBe(404);
  });
});
