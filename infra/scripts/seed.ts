// `npm run seed -- [--file registry.example.yaml]`: validates a registry file and writes it to
// the deployed registry table (replacing what is there). Uses the AWS credentials and region of
// the environment, like `cdk deploy`.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { createDocumentClient, DynamoDbModelRegistry, loadRegistryFile } from '@switchyard/adapters';
import { flags, required, stackOutputs } from './stack-outputs.ts';

const args = flags(process.argv.slice(2));
const file = args.file ?? 'registry.example.yaml';
const stack = args.stack ?? 'SwitchyardStateful';
const { registry } = await loadRegistryFile(file);
const tableName = required(
  await stackOutputs(new CloudFormationClient({}), stack),
  'RegistryTableName',
  stack,
);
await new DynamoDbModelRegistry({ client: createDocumentClient(), tableName }).replace(registry);
console.log(
  `seeded ${tableName} from ${file}: ${registry.models.length} models, ${registry.endpoints.length} endpoints, ` +
    `${registry.policies.length} policies`,
);
