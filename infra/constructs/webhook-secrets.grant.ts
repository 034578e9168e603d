// Least-privilege read of webhook signing secrets: `dynamodb:GetItem` on the tenants table,
// restricted (fine-grained access control) to the key and the `webhook_secret` attribute, with a
// projection required. The signing functions (job notify step, dead-letter consumer, execution
// watch) get this and nothing else on the table; no other function gets anything. Later readers
// of tenant profiles get grants naming their own attributes, never the secret.
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { TENANTS_TABLE } from '../../layers/adapters/src/tables.ts';

export function grantWebhookSecretRead(tenants: ITable, grantee: IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:GetItem'],
      resources: [tenants.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...TENANTS_TABLE.signerAttributes] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      },
    }),
  );
}
