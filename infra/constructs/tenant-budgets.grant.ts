// Grants for the money side of a function: the tenant record's budget attributes (budget, rate
// limits, revision, allow-list, default classification; never its webhook secret), and its budget
// periods (read; with `write`: create and conditionally update them).
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { TENANTS_TABLE } from '../../layers/adapters/src/tables.ts';

export function grantTenantBudgetRead(tenants: ITable, grantee: IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:GetItem'],
      resources: [tenants.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...TENANTS_TABLE.budgetAttributes] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      },
    }),
  );
}

export function grantBudgetPeriods(budgets: ITable, grantee: IGrantable, options: { write: boolean }): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: options.write
        ? ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']
        : ['dynamodb:GetItem'],
      resources: [budgets.tableArn],
    }),
  );
}
