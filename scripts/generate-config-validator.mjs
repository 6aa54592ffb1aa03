#!/usr/bin/env node
// Precompiles the configuration's JSON Schema for the built-in policy registry into ajv standalone code,
//   schemas/generated/config-validator.js
// so `meshguard serve` does not run the ajv compiler at start-up (about 200 ms of CPU). The schema is derived from
// the policies' TypeScript, so this runs after tsc (`npm run build`) and reads dist/. The output carries the hash of
// the schema it was compiled from; src/config/config-validator.ts uses it only when that matches the schema derived
// at run time, and compiles the schema itself otherwise. The output is not committed.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = (path) => {
  try {
    return require(join(root, 'dist', path));
  } catch (err) {
    throw new Error(`generate-config-validator: cannot load dist/${path} (run tsc first): ${err.message}`);
  }
};

function main() {
  const { policies } = dist('policies/index.js');
  const { configSchema } = dist('src/config/config-schema.js');
  const { configAjv, configSchemaHash, PRECOMPILED_CONFIG_VALIDATOR } = dist('src/config/config-validator.js');
  const schema = configSchema(policies);
  const ajv = configAjv({ code: { source: true, esm: false } });
  ajv.addSchema(schema, 'config');
  const code = standaloneCode(ajv, { validate: 'config' });
  const out = join(root, PRECOMPILED_CONFIG_VALIDATOR);
  writeFileSync(out, `${code}\nexports.schemaHash = ${JSON.stringify(configSchemaHash(schema))};\n`);
  console.log(`generate-config-validator: ${policies.length} policies -> ${out}`);
}

main();
