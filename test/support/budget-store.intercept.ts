// A BudgetStore whose calls all pass through `around(method, args, call)`: tests and simulations
// delay, fail, count or watch the calls of a real store with it. Methods that are not part of
// the port (the in-memory store's `records`, `peek`) pass straight through.
import type { BudgetStore } from '@switchyard/core';

const PORT_METHODS: ReadonlySet<string> = new Set<keyof BudgetStore>([
  'openPeriod',
  'getPeriod',
  'listPeriods',
  'lease',
  'topUpLease',
  'returnLease',
  'settleExpired',
  'setLimit',
  'closePeriod',
  'listOpen',
]);

export type StoreMethod = keyof BudgetStore;

export function interceptStore<S extends BudgetStore>(
  inner: S,
  around: (method: StoreMethod, args: unknown[], call: () => Promise<unknown>) => Promise<unknown>,
): S {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || !PORT_METHODS.has(String(prop))) {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: unknown[]) =>
        around(prop as StoreMethod, args, () =>
          (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
        );
    },
  });
}
