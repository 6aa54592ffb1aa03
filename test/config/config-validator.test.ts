import type { ValidateFunction } from 'ajv';
import { load } from 'js-yaml';
import { policies } from '../../policies';
import { configSchema } from '../../src/config/config-schema';
import {
  chooseConfigValidator,
  configAjv,
  configValidator,
  loadPrecompiledConfigValidator,
  type PrecompiledConfigValidator,
} from '../../src/config/config-validator';
import { formatConfigError, loadConfig } from '../../src/config/load-config';
import { schemas } from '../support/engine';

// `npm test` builds first, and the build writes the precompiled validator.
const precompiled = loadPrecompiledConfigValidator();

const BAD_CONFIGS = [
  'ratcheting: true\nratchet: false\n',
  'policies:\n  mtls-mod:\n    action: deny\n',
  'policies:\n  mtls-mode:\n    action: block\n    params:\n      requireExplicitStrict: 1\n      strict: true\n',
  'namespaceOverrides:\n  - namespaceSelector: {matchExpressions: [{key: a, operator: Near}]}\n    policies: 3\n',
  'exemptions:\n  - policies: []\n    until: tomorrow\n    labels: {a: 1}\n',
  'apiVersion: meshguard.io/v1\nkind: Config\nenforcement: maybe\nschemaPolicies:\n  - id: Bad_Id\n    kinds: []\n',
];

describe('the configuration validator precompiled by the build', () => {
  it('exists and is the one used for the built-in policies', () => {
    expect(precompiled).toBeDefined();
    expect(configValidator(policies)).toBe(precompiled?.validate);
  });

  it.each(BAD_CONFIGS)('reports what ajv compiling the schema now reports: %j', (yaml) => {
    const compiled = configAjv().compile(configSchema(policies));
    const value = load(yaml);
    expect(precompiled?.validate(value)).toBe(false);
    expect(compiled(value)).toBe(false);
    expect(precompiled?.validate.errors).toEqual(compiled.errors);
  });
});

describe('another policy list than the build saw', () => {
  const fewer = policies.filter((p) => p.id !== 'mtls-mode');

  it('gets the schema compiled at run time', () => {
    const validate = configValidator(fewer);
    expect(validate).not.toBe(precompiled?.validate);
    expect(configValidator(fewer)).toBe(validate);
  });

  it('is validated against its own schema', () => {
    const r = loadConfig('policies:\n  mtls-mode:\n    action: deny\n', 'meshguard.yaml', fewer, schemas.registry);
    expect(r.ok ? [] : r.errors.map(formatConfigError)).toEqual([
      expect.stringMatching(/^meshguard.yaml:2:3: policies.mtls-mode: unknown policy "mtls-mode" \(known: schema, /),
    ]);
  });
});

describe('a precompiled validator built from another schema (a stale build)', () => {
  it('is not used', () => {
    const stale: PrecompiledConfigValidator = {
      schemaHash: 'from an older build',
      validate: Object.assign(() => true, { errors: null }) as unknown as ValidateFunction,
    };
    const validate = chooseConfigValidator(configSchema(policies), stale);
    expect(validate).not.toBe(stale.validate);
    expect(validate({ ratchet: false })).toBe(false);
    expect(validate.errors?.map((e) => e.keyword)).toEqual(['additionalProperties']);
  });
});
