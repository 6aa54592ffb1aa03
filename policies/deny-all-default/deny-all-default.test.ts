import type { KubeObject, Operation } from '../../src/admission/types';
import type { PolicyContext } from '../../src/engine/policy';
import { policyContext } from '../../test/support/policy-context';
import {
  allowsEverything,
  isDenyAllBaseline,
  isEmptyRule,
  isWildcardOperation,
  isWildcardSource,
  namesCaller,
} from './authorization-rules';
import policy from './index';

type Params = (typeof policy)['defaults'];

function ap(spec: Record<string, unknown>, namespace = 'payments', name = 'deny-all'): KubeObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec };
}

function ctx(operation: Operation, over: Partial<PolicyContext<Params>> = {}): PolicyContext<Params> {
  return policyContext(policy.defaults, { operation, namespace: 'payments', ...over });
}

describe('authorization rule predicates', () => {
  it.each([
    [{}, true],
    [{ principals: ['*'] }, true],
    [{ principals: ['cluster.local/ns/a/sa/b', '*'] }, true],
    [{ namespaces: ['*'] }, true],
    [{ ipBlocks: ['0.0.0.0/0'] }, true],
    [{ principals: [] }, true],
    [{ principals: ['*'], notNamespaces: ['untrusted'] }, false],
    [{ requestPrincipals: ['*'] }, false],
    [{ principals: ['*'], requestPrincipals: ['*'] }, false],
    [{ namespaces: ['frontend'] }, false],
  ])('source %j matches every caller: %s', (source, expected) => {
    expect(isWildcardSource(source)).toBe(expected);
  });

  it.each([
    [{}, true],
    [{ paths: ['*'] }, true],
    [{ paths: ['/*'], methods: ['*'] }, true],
    [{ paths: ['/api/*'] }, false],
    [{ methods: ['GET'] }, false],
    [{ notPaths: ['/admin'] }, false],
  ])('operation %j matches every request: %s', (operation, expected) => {
    expect(isWildcardOperation(operation)).toBe(expected);
  });

  it.each([
    [{}, true, true],
    [{ from: [{}] }, true, true],
    [{ from: [{ source: {} }], to: [{ operation: {} }] }, true, true],
    [{ from: [{ source: { principals: ['*'] } }] }, true, false],
    [{ from: [{ source: { namespaces: ['a'] } }, { source: { principals: ['*'] } }] }, true, false],
    [{ to: [{ operation: { paths: ['*'] } }] }, true, false],
    [{ from: [{ source: { principals: ['*'] } }], to: [{ operation: { methods: ['GET'] } }] }, false, false],
    [{ when: [{ key: 'request.headers[x]', values: ['1'] }] }, false, false],
  ])('rule %j allows everything: %s, is empty: %s', (rule, all, empty) => {
    expect(allowsEverything(rule)).toBe(all);
    expect(isEmptyRule(rule)).toBe(empty);
  });

  it.each([
    [{ to: [{ operation: { ports: ['8080'] } }] }, false],
    [{ from: [{ source: { namespaces: ['a'] } }] }, true],
    [{ when: [{ key: 'source.principal', values: ['cluster.local/ns/a/sa/b'] }] }, true],
    [{ when: [{ key: 'request.auth.claims[iss]', values: ['https://idp'] }] }, true],
    [{ when: [{ key: 'request.headers[x-user]', values: ['admin'] }] }, false],
  ])('rule %j names its callers: %s', (rule, expected) => {
    expect(namesCaller(rule)).toBe(expected);
  });

  it.each([
    [{}, true],
    [{ action: 'ALLOW', rules: [] }, true],
    [{ selector: {} }, true],
    [{ selector: { matchLabels: {} } }, true],
    [{ action: 'DENY', rules: [{}] }, true],
    [{ action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }, {}] }, true],
    [{ action: 'DENY' }, false],
    [{ action: 'DENY', rules: [{ from: [{ source: { principals: ['*'] } }] }] }, false],
    [{ selector: { matchLabels: { app: 'a' } } }, false],
    [{ targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }] }, false],
    [{ rules: [{ from: [{ source: { namespaces: ['a'] } }] }] }, false],
    [{ action: 'AUDIT' }, false],
    [{ action: 'CUSTOM', provider: { name: 'ext-authz' } }, false],
  ])('spec %j is a deny-all baseline: %s', (spec, expected) => {
    expect(isDenyAllBaseline(spec)).toBe(expected);
  });
});

describe('deny-all-default', () => {
  it('on DELETE judges only the baseline: deleting an allow-all is fine', () => {
    expect(policy.check(ap({ rules: [{}] }), ctx('DELETE'))).toEqual([]);
  });

  it('explains a blocked DELETE: what the baseline does and how to replace it', () => {
    const [f] = policy.check(ap({}), ctx('DELETE'));
    expect(f?.message).toMatch(/payments\/deny-all/);
    expect(f?.message).toMatch(/default-deny/);
    expect(f?.hint).toMatch(/same name/);
  });

  it('matches protectedNamespaces as glob patterns', () => {
    const params = { ...policy.defaults, protectedNamespaces: ['prod-*', 'ledger'] };
    const deleting = (namespace: string) => policy.check(ap({}, namespace), ctx('DELETE', { params, namespace }));
    expect(deleting('prod-eu')).toHaveLength(1);
    expect(deleting('ledger')).toHaveLength(1);
    expect(deleting('ledger-old')).toEqual([]);
    expect(deleting('staging')).toEqual([]);
    expect(policy.check(ap({}), ctx('DELETE', { params: { ...policy.defaults, protectedNamespaces: [] } }))).toEqual(
      [],
    );
  });

  it('rejects an UPDATE that turns the baseline into CUSTOM, though CUSTOM is otherwise out of scope', () => {
    const custom = ap({ action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{}] });
    expect(policy.check(custom, ctx('CREATE'))).toEqual([]);
    expect(policy.check(custom, ctx('UPDATE', { oldObject: ap({}) })).map((f) => f.path)).toEqual(['spec.action']);
  });

  it('admits an UPDATE from DENY-empty-rule to ALLOW-no-rules: both deny all', () => {
    const old = ap({ action: 'DENY', rules: [{}] });
    expect(policy.check(ap({}), ctx('UPDATE', { oldObject: old }))).toEqual([]);
  });

  it('does not judge an UPDATE of a policy that was not a baseline', () => {
    const old = ap({ selector: { matchLabels: { app: 'a' } } });
    const updated = ap({
      selector: { matchLabels: { app: 'a' } },
      rules: [{ from: [{ source: { namespaces: ['b'] } }] }],
    });
    expect(policy.check(updated, ctx('UPDATE', { oldObject: old }))).toEqual([]);
  });

  it('gives ratcheting nothing to excuse: the old baseline judged against itself has no finding', () => {
    const old = ap({});
    expect(policy.check(old, ctx('UPDATE', { oldObject: old }))).toEqual([]);
  });

  it('reports both the allow-all and the lost baseline when an UPDATE opens the namespace', () => {
    const paths = policy.check(ap({ rules: [{}] }), ctx('UPDATE', { oldObject: ap({}) })).map((f) => f.path);
    expect(paths.sort()).toEqual(['spec.rules', 'spec.rules[0]']);
  });

  it('says an allow-all in the mesh root namespace is mesh-wide, protected or not', () => {
    const params = { ...policy.defaults, protectedNamespaces: ['prod-*'] };
    const root = ctx('CREATE', { namespace: 'mesh-config', meshRootNamespace: 'mesh-config', params });
    const [f] = policy.check(ap({ rules: [{}] }, 'mesh-config'), root);
    expect(f?.message).toMatch(/every workload in the mesh/);
  });

  it('keeps messages short enough for a kubectl warning line, and its own warnings shorter', () => {
    const findings = policy.check(
      ap({
        rules: [{ to: [{ operation: { methods: ['GET'] } }] }, { from: [{ source: { principals: ['*'] } }], to: [{}] }],
      }),
      ctx('CREATE'),
    );
    expect(findings.length).toBeGreaterThan(1);
    for (const f of findings) {
      expect(`[deny-all-default] ${f.path}: ${f.message}`.length).toBeLessThanOrEqual(256);
      if (f.severity === 'warning') expect(f.message.length).toBeLessThan(160);
    }
  });
});

describe('namespace deletion', () => {
  const baseline = {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'deny-all', namespace: 'payments' },
    spec: {},
  };
  const ctxFor = (username: string) =>
    policyContext(policy.defaults, {
      operation: 'DELETE' as const,
      namespace: 'payments',
      now: new Date('2026-11-22T00:00:00Z'),
      userInfo: { username },
    });

  it('lets the namespace controller delete the baseline, so a namespace being deleted is not stuck Terminating', () => {
    expect(policy.check(baseline, ctxFor('system:serviceaccount:kube-system:namespace-controller'))).toEqual([]);
  });

  it('still refuses anyone else', () => {
    expect(policy.check(baseline, ctxFor('alice')).map((f) => f.path)).toEqual(['spec']);
  });
});
