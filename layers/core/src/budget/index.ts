// The budget engine's pure logic: periods, integer money, lease sizing, refusals and the
// budget-aware degrade curve. The store port is `BudgetStore` in ports.ts.
export * from './budget.types.ts';
export * from './degrade.ts';
export * from './lease-sizing.ts';
export * from './money.ts';
export * from './periods.ts';
export * from './plan-cost.ts';
export * from './refusal.ts';
export * from './specs.ts';
export * from './tenant-budgets.ts';
