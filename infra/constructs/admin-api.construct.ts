// The admin surface: a function of its own (never the router) behind `/admin/*` routes that need
// IAM (SigV4) auth in AWS, so a consumer API key can never reach them. It reads health, writes
// the registry (validated), starts, reads and stops rollouts, and manages tenants and their keys
// (API Gateway keys on the tiers' usage plans) and reads their usage. It admits only the admin
// principals it is given (ADMIN_PRINCIPAL_ARNS; see AdminAccess for the resource policy).
import type { PlanTier } from '@switchyard/core';
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../app.config.ts';
import type { ApiRoute, ConsumerApi, HttpMethod } from './consumer-api.construct.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';

/** The admin routes (method, path), all on the admin function with IAM auth. */
export const ADMIN_ROUTES: ReadonlyArray<readonly [HttpMethod, string]> = [
  ['GET', '/admin/health'],
  ['GET', '/admin/models'],
  ['PUT', '/admin/models/{id}'],
  ['GET', '/admin/endpoints'],
  ['PUT', '/admin/endpoints/{id}'],
  ['GET', '/admin/policies'],
  ['PUT', '/admin/policies/{name}'],
  ['GET', '/admin/rollouts'],
  ['POST', '/admin/rollouts'],
  ['GET', '/admin/rollouts/{id}'],
  ['POST', '/admin/rollouts/{id}/rollback'],
  ['POST', '/admin/tenants'],
  ['GET', '/admin/tenants'],
  ['GET', '/admin/tenants/{id}'],
  ['PATCH', '/admin/tenants/{id}'],
  ['DELETE', '/admin/tenants/{id}'],
  ['POST', '/admin/tenants/{id}/keys'],
  ['GET', '/admin/tenants/{id}/keys'],
  ['DELETE', '/admin/tenants/{id}/keys/{key_id}'],
  ['GET', '/admin/tenants/{id}/usage'],
];

export interface AdminApiProps {
  readonly layers: SharedLayers;
  /** The API the routes are added to. */
  readonly api: ConsumerApi;
  readonly registryTable: ITable;
  readonly healthTable: ITable;
  readonly rolloutsTable: ITable;
  readonly apiKeysTable: ITable;
  readonly tenantsTable: ITable;
  readonly usageTable: ITable;
  /** The usage plan name of every tier: tenants' keys are put on their tier's plan. */
  readonly usagePlanNames: Readonly<Record<PlanTier, string>>;
  /** The rollout state machine the admin function starts and stops. */
  readonly rolloutWorkflow: IStateMachine;
  /** The IAM principals (ARNs) the admin function admits; any other caller gets 403. */
  readonly adminPrincipalArns: readonly string[];
  /**
   * Retention of the function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class AdminApi extends Construct {
  public readonly function: SwitchyardFunction;

  constructor(scope: Construct, id: string, props: AdminApiProps) {
    super(scope, id);
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/admin/admin.handler.ts',
      layers: props.layers,
      description: 'Admin API: endpoint health, registry writes, rollouts',
      timeout: Duration.seconds(15),
      logRetention: props.logRetention,
      environment: {
        [ENV.registryTable]: props.registryTable.tableName,
        [ENV.healthTable]: props.healthTable.tableName,
        [ENV.rolloutsTable]: props.rolloutsTable.tableName,
        [ENV.rolloutWorkflowArn]: props.rolloutWorkflow.stateMachineArn,
        [ENV.adminPrincipalArns]: props.adminPrincipalArns.join(','),
        [ENV.apiKeysTable]: props.apiKeysTable.tableName,
        [ENV.tenantsTable]: props.tenantsTable.tableName,
        [ENV.usageTable]: props.usageTable.tableName,
        // Names, not ids: this function is behind the API whose stage the plans reference.
        [ENV.usagePlanNames]: JSON.stringify(props.usagePlanNames),
      },
    });
    props.registryTable.grantReadWriteData(this.function);
    props.healthTable.grantReadData(this.function);
    props.rolloutsTable.grantReadWriteData(this.function);
    props.rolloutWorkflow.grantStartExecution(this.function);
    // Tenants and keys: the admin reads and writes both tables (and the keys' indexes), reads usage.
    props.tenantsTable.grantReadWriteData(this.function);
    props.apiKeysTable.grantReadWriteData(this.function);
    props.usageTable.grant(this.function, 'dynamodb:Query');
    // Keys on the tiers' usage plans: create and disable API Gateway keys, bind them to the plans.
    const region = Stack.of(this).region;
    const apigw = (path: string) => `arn:${Stack.of(this).partition}:apigateway:${region}::${path}`;
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['apigateway:POST', 'apigateway:PATCH', 'apigateway:GET'],
        resources: [apigw('/apikeys'), apigw('/apikeys/*')],
      }),
    );
    // Plan ids are looked up by name once (GET /usageplans); keys bound and unbound on plans.
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['apigateway:GET'], resources: [apigw('/usageplans')] }),
    );
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['apigateway:POST', 'apigateway:DELETE'],
        resources: [apigw('/usageplans/*/keys'), apigw('/usageplans/*/keys/*')],
      }),
    );
    // Manual rollback: look at the rollout's execution and stop it (execution ARNs only).
    props.rolloutWorkflow.grantExecution(this.function, 'states:DescribeExecution', 'states:StopExecution');

    for (const [method, path] of ADMIN_ROUTES) {
      const route: ApiRoute = { method, path, handler: this.function, auth: 'iam' };
      props.api.addRoute(route);
    }
  }
}
