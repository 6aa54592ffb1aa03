import { policies } from '../../policies';
import { ClusterIndex } from '../../src/cluster/cluster-index';
import { formatConfigError, loadConfig } from '../../src/config/load-config';
import { describeOverrideScope } from '../../src/config/namespace-scope';
import { resolveAction } from '../../src/engine/enforcement';
import { matchesSelector } from '../../src/engine/name-patterns';
import { judgeWith as judge } from '../cluster/support/judge';
import { namespace } from '../cluster/support/objects';
import { config, peerAuth, schemas } from '../support/engine';

const errorsOf = (yaml: string): string[] => {
  const r = loadConfig(yaml, 'meshguard.yaml', policies, schemas.registry);
  return r.ok ? [] : r.errors.map(formatConfigError);
};

const STRICT_PROFILE = `
policies:
  mtls-mode: {action: warn}
namespaceOverrides:
  - namespaceSelector:
      matchLabels: {meshguard.io/profile: strict}
    policies:
      mtls-mode: deny
  - namespaces: ["team-*"]
    namespaceSelector:
      matchExpressions:
        - {key: tier, operator: In, values: [prod]}
    policies:
      mtls-mode: deny
`;

describe('namespace overrides by label', () => {
  const cluster = ClusterIndex.fromObjects([
    namespace('payments', { 'meshguard.io/profile': 'strict' }),
    namespace('sandbox'),
    namespace('team-a', { tier: 'prod' }),
    namespace('other-a', { tier: 'prod' }),
    namespace('team-b', { tier: 'dev' }),
  ]);
  const cfg = config(STRICT_PROFILE);

  it.each([
    ['payments', 'deny'],
    ['sandbox', 'warn'],
    ['team-a', 'deny'],
    // Both conditions of an override must hold: names and labels.
    ['other-a', 'warn'],
    ['team-b', 'warn'],
    // A namespace the view does not know has no labels: no selector matches it.
    ['unknown', 'warn'],
  ])('PERMISSIVE in %s: %s', (ns, action) => {
    const verdict = judge(peerAuth('PERMISSIVE', ns), { config: cfg, cluster });
    const found = [...verdict.violations, ...verdict.warnings].find((f) => f.policy === 'mtls-mode');
    expect(found?.action).toBe(action);
  });

  it('without a cluster view, selectors match nothing and name overrides still apply', () => {
    const configured = cfg.policies.find((p) => p.policy.id === 'mtls-mode');
    if (configured === undefined) throw new Error('mtls-mode not configured');
    expect(resolveAction(configured, 'payments', cfg)).toBe('warn');
    const byName = config('namespaceOverrides:\n  - namespaces: [dev]\n    policies: {mtls-mode: off}\n');
    const mtls = byName.policies.find((p) => p.policy.id === 'mtls-mode');
    if (mtls === undefined) throw new Error('mtls-mode not configured');
    expect(resolveAction(mtls, 'dev', byName)).toBe('off');
  });

  it('selectors follow Kubernetes semantics', () => {
    const labels = { a: '1', b: '2' };
    expect(matchesSelector({}, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { a: '1' } }, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { a: '2' } }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '3'] }] }, labels)).toBe(
      true,
    );
    expect(matchesSelector({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['1'] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'b', operator: 'Exists' }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'b', operator: 'DoesNotExist' }] }, labels)).toBe(false);
  });

  it('describes an override for people (meshguard explain)', () => {
    expect(cfg.namespaceOverrides.map(describeOverrideScope)).toEqual([
      'in namespaces labelled `meshguard.io/profile=strict`',
      'in namespaces `team-*` labelled `tier in (prod)`',
    ]);
  });

  it('rejects overrides that select nothing, or malformed selectors, with file:line:col', () => {
    expect(errorsOf('namespaceOverrides:\n  - policies: {mtls-mode: warn}\n')).toEqual([
      'meshguard.yaml:2:5: namespaceOverrides[0]: give namespaces (names or globs), namespaceSelector (labels), or both',
    ]);
    expect(
      errorsOf(
        'namespaceOverrides:\n  - namespaceSelector:\n      matchExpressions:\n        - {key: tier, operator: In}\n    policies: {mtls-mode: warn}\n',
      ),
    ).toEqual([
      'meshguard.yaml:4:11: namespaceOverrides[0].namespaceSelector.matchExpressions[0].values: operator In needs at least one value',
    ]);
    expect(
      errorsOf(
        'namespaceOverrides:\n  - namespaceSelector: {matchLabel: {a: b}}\n    policies: {mtls-mode: warn}\n',
      )[0],
    ).toMatch(
      /^meshguard.yaml:2:25: namespaceOverrides\[0\].namespaceSelector.matchLabel: unknown key "matchLabel" \(allowed here: matchLabels, matchExpressions\)/,
    );
    expect(
      errorsOf(
        'namespaceOverrides:\n  - namespaceSelector:\n      matchExpressions: [{key: a, operator: Equals, values: [x]}]\n    policies: {mtls-mode: warn}\n',
      )[0],
    ).toMatch(/operator: must be one of "In", "NotIn", "Exists", "DoesNotExist", not "Equals"$/);
  });
});
