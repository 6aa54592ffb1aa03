#!/usr/bin/env node
// Writes V8's code cache beside each generated module (schemas/generated/*.js.v8-cache), which meshguard loads
// through src/generated-code.ts: compiling those megabytes of ajv code is a large part of `serve`'s start-up.
// Run last by `npm run build`, with the Node that will run meshguard (a cache from another V8 is refused, and the
// module compiled as usual). The output is not committed.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const require = createRequire(import.meta.url);
const { writeCodeCache } = require(join(root, 'dist/src/generated-code.js'));
const generated = (file) => join(root, 'schemas/generated', file);

const caches = [
  // Validated at start-up (the configuration), so compile what that runs into the cache.
  ['config-validator.js', (m) => m.validate({})],
  // Called for the first time by the first reviews, after start-up: the top level is enough.
  ['validators.js'],
  ['validators-strict.js'],
];
for (const [file, warm] of caches) {
  const bytes = writeCodeCache(generated(file), warm);
  console.log(`write-code-caches: ${file}.v8-cache, ${Math.round(bytes / 1024)} KiB`);
}
