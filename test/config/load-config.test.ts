import { policies } from '../../policies';
import { formatConfigError, loadConfig } from '../../src/config/load-config';
import { schemas } from '../support/engine';

const errorsOf = (yaml: string): string[] => {
  const r = loadConfig(yaml, 'meshguard.yaml', policies, schemas.registry);
  return r.ok ? [] : r.errors.map(formatConfigError);
};

describe('configuration errors name the file, line, column and key', () => {
  it.each([
    [
      'an unknown top-level key',
      'ratcheting: true\nratchet: false\n',
      /^meshguard.yaml:2:1: ratchet: unknown key "ratchet" \(allowed here: apiVersion, kind, enforcement/,
    ],
    [
      'an unknown policy id',
      'policies:\n  mtls-mod:\n    action: deny\n',
      /^meshguard.yaml:2:3: policies.mtls-mod: unknown policy "mtls-mod" \(known: schema, mtls-mode/,
    ],
    ['a wrong type', 'ratcheting: "yes"\n', /^meshguard.yaml:1:1: ratcheting: must be a boolean, not "yes"$/],
    [
      'an unknown action',
      'policies:\n  mtls-mode:\n    action: block\n',
      /^meshguard.yaml:3:5: policies.mtls-mode.action: must be one of "deny", "warn", "audit", "off", not "block"$/,
    ],
    [
      'a wrong parameter',
      'policies:\n  mtls-mode:\n    params:\n      requireExplicitStrict: 1\n',
      /^meshguard.yaml:4:7: policies.mtls-mode.params.requireExplicitStrict: must be a boolean, not 1$/,
    ],
    [
      'an unknown parameter',
      'policies:\n  mtls-mode:\n    params:\n      strict: true\n',
      /^meshguard.yaml:4:7: policies.mtls-mode.params.strict: unknown key "strict"/,
    ],
    [
      'an unknown policy in an override',
      'namespaceOverrides:\n  - namespaces: [dev]\n    policies:\n      nope: warn\n',
      /^meshguard.yaml:4:7: namespaceOverrides\[0\].policies\[nope\]: unknown policy "nope"/,
    ],
    [
      'an exemption without a reason',
      'exemptions:\n  - policies: [mtls-mode]\n',
      /^meshguard.yaml:2:5: exemptions\[0\].reason: is required$/,
    ],
    [
      'a bad exemption date',
      'exemptions:\n  - policies: [mtls-mode]\n    reason: x\n    until: tomorrow\n',
      /^meshguard.yaml:4:5: exemptions\[0\].until: must be an RFC 3339 date-time/,
    ],
    [
      'a bad duration',
      'annotationExemptions:\n  maxDuration: 14d\n',
      /^meshguard.yaml:2:3: annotationExemptions.maxDuration: time: unknown unit "d" in duration "14d"/,
    ],
    [
      'a broken schema policy',
      'schemaPolicies:\n  - id: x\n    kinds: [{group: networking.istio.io, kind: VirtualService}]\n    message: m\n    schema: {type: objekt}\n',
      /^meshguard.yaml:5:5: schemaPolicies\[0\].schema: not a valid JSON Schema/,
    ],
    [
      'a schema policy for a kind that is not served',
      'schemaPolicies:\n  - id: x\n    kinds: [{group: apps, kind: Deployment}]\n    message: m\n    schema: {}\n',
      /kinds\[0\]: Deployment.apps is not an Istio kind meshguard serves$/,
    ],
    [
      'a schema policy reusing a built-in id',
      'schemaPolicies:\n  - id: mtls-mode\n    kinds: [{group: networking.istio.io, kind: VirtualService}]\n    message: m\n    schema: {}\n',
      /schemaPolicies\[0\].id: "mtls-mode" is already a built-in policy/,
    ],
    ['a YAML syntax error', 'policies: [\n', /^meshguard.yaml:2:1: YAML syntax error: /],
    [
      'two documents',
      'ratcheting: true\n---\nratcheting: false\n',
      /^meshguard.yaml:3:1: the configuration is one YAML document; found several$/,
    ],
  ])('%s', (_name, yaml, expected) => {
    expect(errorsOf(yaml)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it('reports every problem at once', () => {
    expect(errorsOf('ratchet: 1\nenforcement: maybe\n')).toHaveLength(2);
  });
});

describe('defaults', () => {
  it('an empty document is the embedded default: every policy at its default action and parameters', () => {
    const r = loadConfig('', '<embedded default>', policies, schemas.registry);
    if (!r.ok) throw new Error('default config rejected');
    expect(r.config.policies.map((p) => [p.policy.id, p.action])).toEqual(policies.map((p) => [p.id, p.defaultAction]));
    expect(r.config).toMatchObject({ enforcement: 'enforce', ratcheting: true, meshRootNamespace: 'istio-system' });
    expect(r.config.annotationExemptions).toMatchObject({
      enabled: true,
      maxDuration: '336h',
      maxDurationMs: 336 * 3600 * 1000,
    });
  });

  it('merges parameters over the defaults', () => {
    const r = loadConfig(
      'policies:\n  mtls-mode:\n    params:\n      requireExplicitStrict: true\n',
      'x',
      policies,
      schemas.registry,
    );
    if (!r.ok) throw new Error('rejected');
    const mtls = r.config.policies.find((p) => p.policy.id === 'mtls-mode');
    expect(mtls?.params).toMatchObject({
      requireExplicitStrict: true,
      meshDomainSuffixes: ['.svc.cluster.local', '.svc', '.cluster.local'],
    });
  });
});
