// Vitest configuration for the mutation campaign (stryker.config.json, `npm run mutate`): the unit
// suites only, in one worker without per-file isolation (Stryker switches mutants at run time, so
// modules can be shared), with the workspace packages resolved to this checkout's sources (Stryker's
// sandbox links node_modules back to the original tree, whose @switchyard/* links would otherwise
// test the unmutated files) and fast-check capped (fast-check.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  resolve: {
    alias: [
      { find: /^@switchyard\/core$/, replacement: `${root}layers/core/src/index.ts` },
      { find: /^@switchyard\/adapters$/, replacement: `${root}layers/adapters/src/index.ts` },
      { find: /^@switchyard\/adapters\/lambda$/, replacement: `${root}layers/adapters/src/lambda/index.ts` },
      { find: /^fast-check$/, replacement: `${root}test/mutation/fast-check.ts` },
    ],
  },
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    isolate: false,
  },
});
