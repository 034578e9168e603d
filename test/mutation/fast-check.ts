// fast-check for the mutation campaign only (aliased in vitest.config.ts): every property runs
// at most MAX_RUNS cases, so that a mutant covered by the route properties costs seconds, not
// tens of seconds. `npm test` runs the properties with their own, larger numRuns.
import * as real from '../../node_modules/fast-check/lib/fast-check.js';

const MAX_RUNS = 40;

type Assert = typeof real.assert;
const assert = ((property: Parameters<Assert>[0], params?: Parameters<Assert>[1]) =>
  real.assert(property, { ...params, numRuns: Math.min(params?.numRuns ?? 100, MAX_RUNS) })) as Assert;

export * from '../../node_modules/fast-check/lib/fast-check.js';
export { assert };
export default { ...real, assert };
