#!/usr/bin/env node
// Writes V8's code cache beside each generated module (schemas/generated/*.js.<flags>.v8-cache), which meshguard
// loads through src/generated-code.ts: compiling those megabytes of ajv code is a large part of `serve`'s start-up.
// Run last by `npm run build`, with the Node that will run meshguard. A cache is only valid under the Node options it
// was made with, so this writes one for this process's options and, in a checkout, one for the Dockerfile runtime
// stage's NODE_OPTIONS and ENTRYPOINT flags (which `npm run bench` starts meshguard with too). The image's build
// stage, which has no Dockerfile, runs it again under those options with --current-only. Not committed.
//   node scripts/write-code-caches.mjs [--current-only]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const require = createRequire(import.meta.url);
const { codeCacheFile, nodeFlagsKey, writeCodeCache } = require(join(root, 'dist/src/generated-code.js'));
const generated = (file) => join(root, 'schemas/generated', file);

const caches = [
  // Validated at start-up (the configuration), so compile what that runs into the cache.
  ['config-validator.js', (m) => m.validate({})],
  // Called for the first time by the first reviews, after start-up: the top level is enough.
  ['validators.js'],
  ['validators-strict.js'],
];
const label = `${process.execArgv.join(' ') || 'no flags'}, ${process.env.NODE_OPTIONS ? `NODE_OPTIONS=${process.env.NODE_OPTIONS}` : 'no NODE_OPTIONS'}`;
for (const [file, warm] of caches) {
  const bytes = writeCodeCache(generated(file), warm);
  const written = codeCacheFile(generated(file), nodeFlagsKey()).slice(root.length + 1);
  console.log(`write-code-caches: ${written} (${label}), ${Math.round(bytes / 1024)} KiB`);
}

const dockerfile = join(root, 'Dockerfile');
if (!process.argv.includes('--current-only') && existsSync(dockerfile)) {
  const { entrypointNodeFlags, runtimeStage } = await import('./runtime-stage-check.mjs');
  const stage = runtimeStage(readFileSync(dockerfile, 'utf8'));
  const imageOptions = stage.env.NODE_OPTIONS ?? '';
  const imageFlags = entrypointNodeFlags(stage.entrypoint);
  if (nodeFlagsKey(imageFlags, imageOptions) !== nodeFlagsKey()) {
    const child = spawnSync(process.execPath, [...imageFlags, process.argv[1], '--current-only'], {
      env: { ...process.env, NODE_OPTIONS: imageOptions },
      stdio: 'inherit',
    });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
}
