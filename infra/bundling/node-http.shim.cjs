// `node:http` for bundles, through `process.getBuiltinModule` instead of an ESM import. Node
// builds an ESM import's namespace by reading every export of the built-in, and node:http's
// WebSocket, CloseEvent and MessageEvent getters load all of undici (fetch) to do so: 40 ms and
// more of a cold start (`npm run bench -- --only coldstart`). esbuild aliases `http` and
// `node:http` here (BUNDLE_ALIASES); the bundle reads the properties it uses when it uses them.
module.exports = process.getBuiltinModule('node:http');
