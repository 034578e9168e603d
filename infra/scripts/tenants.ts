// `npm run tenants -- create|list|get|patch|delete|usage ...`: tenants (plan, budget, allow-list)
// and their usage, through the admin API: SigV4 in AWS, `--local` the local admin key.
import { TENANTS_USAGE, tenantsCommand } from './admin.commands.ts';
import { runAdminCli } from './admin-cli.ts';

await runAdminCli(tenantsCommand, TENANTS_USAGE);
