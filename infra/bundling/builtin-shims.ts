// Node built-ins for bundles, through `process.getBuiltinModule` instead of ESM imports. For an
// ESM import of a built-in, Node builds a namespace by reading every export, getters included:
// node:http's WebSocket getter loads all of undici (fetch), node:crypto's webcrypto the Web
// Crypto API, node:process's stdin a stdin stream, node:tls's rootCertificates the CA list. At a
// cold start that is tens of milliseconds (`npm run bench -- --only coldstart`). Every bundle
// (layers and functions) is built with esbuild aliases from each built-in's name to a CommonJS
// shim exporting the module itself, so the bundle reads only the properties it uses, when it
// uses them. The shims are written once into node_modules/.cache (one directory per built-in, so
// a subpath such as `fs/promises` resolves beside `fs`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../app.config.ts';

/** Where the shims are written. */
export const BUILTIN_SHIMS_DIR = join(REPO_ROOT, 'node_modules/.cache/switchyard/builtin-shims');

let aliases: Readonly<Record<string, string>> | undefined;

/** The esbuild aliases (`crypto` and `node:crypto` to the crypto shim, ...), the shims written on first call. */
export function builtinAliases(): Readonly<Record<string, string>> {
  if (aliases) return aliases;
  const out: Record<string, string> = {};
  mkdirSync(BUILTIN_SHIMS_DIR, { recursive: true });
  writeFileSync(
    join(BUILTIN_SHIMS_DIR, 'package.json'),
    `${JSON.stringify({ type: 'commonjs', private: true })}\n`,
  );
  for (const name of builtinModules) {
    if (name.startsWith('_')) continue;
    // `fs` is fs/index.js; `fs/promises` is fs/promises.js beside it.
    const [top = name, ...sub] = name.split('/');
    const file = sub.length
      ? join(BUILTIN_SHIMS_DIR, top, `${sub.join('/')}.js`)
      : join(BUILTIN_SHIMS_DIR, name, 'index.js');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `module.exports = process.getBuiltinModule(${JSON.stringify(`node:${name}`)});\n`);
    if (sub.length === 0) {
      out[name] = join(BUILTIN_SHIMS_DIR, name);
      out[`node:${name}`] = join(BUILTIN_SHIMS_DIR, name);
    }
  }
  aliases = out;
  return aliases;
}
