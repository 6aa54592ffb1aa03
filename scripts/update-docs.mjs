#!/usr/bin/env node
// Regenerates the derived parts of README.md (the policy table) from the compiled registry. Run after `npm run build`.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { policies } = require(join(root, 'dist/policies/index.js'));
const { withPolicyTable } = require(join(root, 'dist/src/docs/policy-table.js'));
const file = join(root, 'README.md');
writeFileSync(file, withPolicyTable(readFileSync(file, 'utf8'), policies));
console.log(`update-docs: README.md policy table has ${policies.length} policies`);
