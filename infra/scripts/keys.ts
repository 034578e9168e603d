// `npm run keys -- create --tenant acme [--name "acme prod"] [--models a,b]`: creates the tenant
// (with a webhook signing secret) if it is new, makes a consumer API key, registers its random
// usage id (never the key) with the usage plan, stores only the key's sha256 hash, and prints the
// key (and a new tenant's webhook secret) once. `npm run keys -- disable --key-id key_...` (or
// `--key sk-sy-...`) disables a key; it stops working within the authorizer's cache TTL.
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  API_KEY_CACHE_TTL_MS,
  ApiGatewayKeyRegistrar,
  createDocumentClient,
  DynamoDbApiKeyStore,
  DynamoDbTenantStore,
} from '@switchyard/adapters';
import { createdMessage, createKey, disableKey, type KeysDeps, KeysUsageError } from './keys.commands.ts';
import { flags, required, stackOutputs } from './stack-outputs.ts';

const USAGE =
  'usage: npm run keys -- create --tenant <id> [--name <name>] [--models a,b]\n' +
  '       npm run keys -- disable --key-id <key id>   (or --key <key>)';

const [command, ...rest] = process.argv.slice(2);
const args = flags(rest);
if (command !== 'create' && command !== 'disable') {
  console.error(USAGE);
  process.exit(2);
}

const cfn = new CloudFormationClient({});
const stateful = await stackOutputs(cfn, args['stateful-stack'] ?? 'SwitchyardStateful');
const stateless = await stackOutputs(cfn, args['stateless-stack'] ?? 'SwitchyardStateless');
const ddb = createDocumentClient();
const deps: KeysDeps = {
  keys: new DynamoDbApiKeyStore({
    client: ddb,
    tableName: required(stateful, 'ApiKeysTableName', 'SwitchyardStateful'),
  }),
  tenants: new DynamoDbTenantStore({
    client: ddb,
    tableName: required(stateful, 'TenantsTableName', 'SwitchyardStateful'),
  }),
  gateway: new ApiGatewayKeyRegistrar({
    client: new APIGatewayClient({}),
    usagePlanId: required(stateless, 'UsagePlanId', 'SwitchyardStateless'),
  }),
  now: Date.now,
};

try {
  if (command === 'create') {
    if (!args.tenant) throw new KeysUsageError('create needs --tenant <id>');
    const created = await createKey(deps, {
      tenant: args.tenant,
      ...(args.name ? { name: args.name } : {}),
      ...(args.models ? { models: args.models } : {}),
    });
    console.log(createdMessage(created, API_KEY_CACHE_TTL_MS / 1000));
  } else {
    const record = await disableKey(deps, {
      ...(args['key-id'] ? { keyId: args['key-id'] } : {}),
      ...(args.key ? { key: args.key } : {}),
    });
    console.log(
      `disabled ${record.key_id} of tenant ${record.tenant}; it stops working within ${API_KEY_CACHE_TTL_MS / 1000} s`,
    );
  }
} catch (err) {
  if (!(err instanceof KeysUsageError)) throw err;
  console.error(`keys: ${err.message}\n${USAGE}`);
  process.exit(2);
}
