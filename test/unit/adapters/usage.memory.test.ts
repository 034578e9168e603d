// The in-memory UsageStore runs the shared UsageStore contract (the DynamoDB adapter runs the
// same suite against dynalite), so router tests on it mean what they say.
import { MemoryUsageStore } from '@switchyard/adapters';
import { usageStoreContract } from './usage-store.contract.ts';

usageStoreContract('in memory', () => new MemoryUsageStore());
