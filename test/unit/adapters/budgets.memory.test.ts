// The in-memory BudgetStore runs the shared BudgetStore contract (the DynamoDB adapter runs the
// same suite against dynalite), so simulations and property tests on it mean what they say.
import { MemoryBudgetStore } from '@switchyard/adapters';
import { budgetStoreContract } from './budget-store.contract.ts';

budgetStoreContract('in memory', () => new MemoryBudgetStore());
