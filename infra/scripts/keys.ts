// `npm run keys -- create --tenant acme [--name "acme prod"] [--models a,b]`: makes a consumer
// API key, registers it with the usage plan, stores only its sha256 hash, and prints the key
// once. `npm run keys -- disable --tenant acme --key sk-sy-...` disables one.
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  ApiGatewayKeyRegistrar,
  createDocumentClient,
  DynamoDbApiKeyStore,
  generateApiKey,
  hashApiKey,
} from '@switchyard/adapters';
import { flags, required, stackOutputs } from './stack-outputs.ts';

const [command, ...rest] = process.argv.slice(2);
const args = flags(rest);
const cfn = new CloudFormationClient({});
const stateful = await stackOutputs(cfn, args['stateful-stack'] ?? 'SwitchyardStateful');
const stateless = await stackOutputs(cfn, args['stateless-stack'] ?? 'SwitchyardStateless');
const store = new DynamoDbApiKeyStore({
  client: createDocumentClient(),
  tableName: required(stateful, 'ApiKeysTableName', 'SwitchyardStateful'),
});
const registrar = new ApiGatewayKeyRegistrar({
  client: new APIGatewayClient({}),
  usagePlanId: required(stateless, 'UsagePlanId', 'SwitchyardStateless'),
});

if (command === 'create' && args.tenant) {
  const key = generateApiKey();
  const name = args.name ?? `${args.tenant} key`;
  const gatewayKeyId = await registrar.register(key, name);
  await store.put({
    key_hash: hashApiKey(key),
    tenant: args.tenant,
    name: `${name} (${gatewayKeyId})`,
    role: 'consumer',
    created_at: Date.now(),
    ...(args.models ? { allowed_models: args.models.split(',') } : {}),
  });
  console.log(`tenant ${args.tenant}: ${key}\n(shown once; only its hash is stored)`);
} else if (command === 'disable' && args.key) {
  const record = await store.findByHash(hashApiKey(args.key));
  if (!record) throw new Error('no such key');
  await store.put({ ...record, disabled: true });
  const gatewayKeyId = /\(([^)]+)\)$/.exec(record.name)?.[1];
  if (gatewayKeyId) await registrar.disable(gatewayKeyId);
  console.log(`disabled the key of tenant ${record.tenant}`);
} else {
  console.error(
    'usage: npm run keys -- create --tenant <id> [--name <name>] [--models a,b]\n' +
      '       npm run keys -- disable --key <key>',
  );
  process.exit(2);
}
