import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { policies } from '../../policies';
import { formatConfigError, loadConfig } from '../../src/config/load-config';
import { schemas } from '../support/engine';

it('the documented example configuration is valid and uses every top-level setting', () => {
  const file = join(__dirname, '../../config/meshguard.example.yaml');
  const text = readFileSync(file, 'utf8');
  const r = loadConfig(text, file, policies, schemas.registry);
  expect(r.ok ? [] : r.errors.map(formatConfigError)).toEqual([]);
  const doc = readFileSync(join(__dirname, '../../docs/configuration.md'), 'utf8');
  for (const key of [
    'enforcement',
    'meshRootNamespace',
    'ratcheting',
    'policies',
    'namespaceOverrides',
    'exemptions',
    'annotationExemptions',
    'schemaPolicies',
  ]) {
    expect(text).toMatch(new RegExp(`^${key}:`, 'm'));
    expect(doc).toContain(`| \`${key}`);
  }
});
