// `npm run keys -- create --tenant acme [--name "acme prod"] [--models a,b]`: a consumer API key
// (the tenant created first when it is new), printed once as `{key_id, key}`; only its hash is
// stored, API Gateway gets its random usage id on the tenant's tier's plan. `list --tenant` shows
// the keys (no secrets), `revoke --tenant --key-id` disables one (it stops working within the
// authorizer's cache TTL, 10 s). All through the admin API: SigV4 in AWS, `--local` the admin key.
import { KEYS_USAGE, keysCommand } from './admin.commands.ts';
import { runAdminCli } from './admin-cli.ts';

await runAdminCli(keysCommand, KEYS_USAGE);
