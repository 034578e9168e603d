// The in-memory TenantStore runs the shared TenantStore contract (the DynamoDB adapter runs the
// same suite against dynalite), so the admin service's unit tests on it mean what they say.
import { MemoryTenantStore } from '@switchyard/adapters';
import { tenantStoreContract } from './tenant-store.contract.ts';

tenantStoreContract('in memory', () => new MemoryTenantStore());
