import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { policies } from '../../policies';
import { ClusterIndex } from '../../src/cluster/cluster-index';
import type { ClusterView } from '../../src/cluster/types';
import type { PolicyContext } from '../../src/engine/policy';
import { IstioSchemas } from '../../src/schema/istio-schemas';
import { loadPolicyFixtures, type PolicyFixture, policyFolder } from '../support/policy-fixtures';

const schemas = IstioSchemas.load();
const schemaErrors = (o: Record<string, unknown>) => {
  const r = schemas.validate(o, 'offline');
  return r.served ? r.errors : [];
};

describe.each(policies.map((p) => [p.id, p] as const))('policy %s', (id, policy) => {
  const fixtures = loadPolicyFixtures(id);

  it('has allowed and denied fixtures, and a README covering why, how to fix and every parameter', () => {
    expect(fixtures.some((f) => f.verdict === 'allowed')).toBe(true);
    expect(fixtures.some((f) => f.verdict === 'denied')).toBe(true);
    const readme = join(policyFolder(id), 'README.md');
    expect(existsSync(readme)).toBe(true);
    const text = readFileSync(readme, 'utf8');
    expect(text).toMatch(new RegExp(`^# ${id}\\b`, 'm'));
    expect(text).toMatch(/^## Why/m);
    expect(text).toMatch(/^## How to fix/m);
    expect(text).toMatch(/^## Parameters/m);
    for (const param of Object.keys(policy.defaults)) expect(text).toContain(`\`${param}\``);
  });

  const contextOf = (f: PolicyFixture, cluster: ClusterView | undefined): PolicyContext<Record<string, unknown>> => ({
    params: { ...policy.defaults, ...f.params },
    operation: f.operation,
    oldObject: f.oldObject,
    namespace: f.namespace,
    meshRootNamespace: 'istio-system',
    now: new Date('2026-11-22T12:00:00Z'),
    schemaErrors,
    cluster,
    ...(f.username === undefined ? {} : { userInfo: { username: f.username } }),
  });

  it.each(fixtures.map((f) => [f.file, f] as const))('%s', (_file, f) => {
    const ctx = contextOf(f, f.cluster);
    if (id !== 'schema') {
      // Fixtures are real objects: each one passes Istio's own schema, so policies are tested on what could be applied.
      expect(schemaErrors(f.object).map((e) => e.path)).toEqual([]);
    }
    // So are the objects around them.
    for (const o of f.surrounding) expect(schemaErrors(o).map((e) => `${String(o.kind)}: ${e.path}`)).toEqual([]);
    const findings = policy.check(f.object, ctx);
    if (f.verdict === 'allowed') {
      expect(findings).toEqual([]);
    } else {
      expect(f.expect.length).toBeGreaterThan(0);
      expect(findings.map((x) => x.path).sort()).toEqual(expect.arrayContaining([...f.expect].sort()));
      for (const x of findings.filter((x) => f.expect.includes(x.path))) {
        expect(x.severity ?? 'error').toBe(f.severity);
        expect(x.message.length).toBeGreaterThan(10);
      }
    }
  });

  if (policy.clusterKinds !== undefined) {
    it('reads only the cluster view it declares, checks nothing without one, and only warns before it is synced', () => {
      const notSynced = new ClusterIndex();
      for (const f of fixtures) {
        expect(policy.check(f.object, contextOf(f, undefined))).toEqual([]);
        // Everything synced but the declared kinds: the policy must notice it cannot tell.
        const partial = ClusterIndex.fromObjects(f.surrounding, {
          defaultNamespace: f.namespace,
          incomplete: policy.clusterKinds,
        });
        for (const view of [notSynced, partial]) {
          for (const finding of policy.check(f.object, contextOf(f, view))) {
            expect(finding.severity).toBe('warning');
            expect(finding.message).toMatch(/not synced/);
          }
        }
      }
    });
  }
});
