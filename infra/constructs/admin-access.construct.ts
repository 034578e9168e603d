// Who may call `/admin/*`, beyond "any principal with execute-api:Invoke": an admin role the
// stack creates (assumable from this account by whoever IAM lets assume it) plus the principals
// named in props, and a resource policy on the REST API that allows every route to anyone (the
// consumer routes have their own authorizer and API key) but explicitly DENIES `/admin/*` to
// every principal not named. An explicit deny beats any identity-policy allow, so a broad
// `execute-api:Invoke` grant elsewhere in the account (or in another account) is not enough. The
// admin function checks the same list again (ADMIN_PRINCIPAL_ARNS) and fails closed.
import { Token } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AccountRootPrincipal, AnyPrincipal, Effect, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { adminPrincipalProblem } from '../../layers/adapters/src/admin-principals.ts';

/** The resource-policy resources of the admin routes (`execute-api:/<stage>/<method>/admin/...`). */
export const ADMIN_EXECUTE_API_RESOURCE = 'execute-api:/*/*/admin/*';

export interface AdminAccessProps {
  /** The REST API whose `/admin/*` routes are guarded. */
  readonly api: RestApi;
  /**
   * More admin principals: IAM role, user or account-root ARNs, exact (no wildcards), from this
   * or another account. A role in another account also needs its own account's grant.
   * @default [] (only the admin role)
   */
  readonly principalArns?: readonly string[];
}

export class AdminAccess extends Construct {
  /** Assume it (sts:AssumeRole, from this account) and sign admin requests with its session. */
  public readonly role: Role;
  /** Every admin principal ARN: the admin role first, then `principalArns`. */
  public readonly principalArns: readonly string[];

  constructor(scope: Construct, id: string, props: AdminAccessProps) {
    super(scope, id);
    for (const arn of props.principalArns ?? []) {
      const problem = Token.isUnresolved(arn) ? undefined : adminPrincipalProblem(arn);
      if (problem) throw new Error(`AdminAccess: ${problem}`);
    }
    this.role = new Role(this, 'Role', {
      assumedBy: new AccountRootPrincipal(),
      description: 'Switchyard admin API: assume it to call /admin/* with SigV4',
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['execute-api:Invoke'],
        resources: [props.api.arnForExecuteApi('*', '/admin/*', '*')],
      }),
    );
    this.principalArns = [this.role.roleArn, ...(props.principalArns ?? [])];

    props.api.addToResourcePolicy(
      new PolicyStatement({
        sid: 'InvokeAnyRoute',
        effect: Effect.ALLOW,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
    );
    props.api.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AdminRoutesOnlyForAdminPrincipals',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: [ADMIN_EXECUTE_API_RESOURCE],
        conditions: { ArnNotLike: { 'aws:PrincipalArn': [...this.principalArns] } },
      }),
    );
  }
}
