import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';

/** `meshguard check` judges each object against the others given in the same run, as istioctl analyze does offline. */
describe('meshguard check: the files given together are the cluster view', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshguard-check-cluster-'));
    writeFileSync(
      join(dir, 'vs.yaml'),
      [
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata: {name: reviews}',
        'spec:',
        '  hosts: [reviews]',
        '  http:',
        '    - route:',
        '        - destination: {host: reviews, subset: v1}',
        '          weight: 90',
        '        - destination: {host: reviews, subset: v2}',
        '          weight: 10',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'dr.yaml'),
      [
        'apiVersion: v1',
        'kind: List',
        'items:',
        '  - apiVersion: networking.istio.io/v1',
        '    kind: DestinationRule',
        '    metadata: {name: reviews}',
        '    spec:',
        '      host: reviews',
        '      subsets:',
        '        - {name: v1, labels: {version: v1}}',
        '        - {name: v2, labels: {version: v2}}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'dr-v1.yaml'),
      [
        'apiVersion: networking.istio.io/v1',
        'kind: DestinationRule',
        'metadata: {name: reviews, namespace: bookinfo}',
        'spec:',
        '  host: reviews',
        '  subsets:',
        '    - {name: v1, labels: {version: v1}}',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the DestinationRule in another file (inside a List, namespace from --namespace)', () => {
    const r = runCli(['check', '-n', 'bookinfo', '-o', 'json', join(dir, 'vs.yaml'), join(dir, 'dr.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('vs-subset-defined');
  });

  it('warns about a subset nothing in the files defines; --fail-on warn makes that a failure', () => {
    const r = runCli(['check', '-n', 'bookinfo', '--fail-on', 'warn', join(dir, 'vs.yaml'), join(dir, 'dr-v1.yaml')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/vs-subset-defined.*spec\.http\[0\]\.route\[1\]\.destination\.subset/s);
    expect(r.stdout).toContain('subset v2 is not in bookinfo/reviews');
  });

  it('reports two DestinationRules for one host across files', () => {
    const r = runCli(['check', '-n', 'bookinfo', join(dir, 'dr.yaml'), join(dir, 'dr-v1.yaml')]);
    expect(r.status).toBe(0); // the same name: one object given twice, not two rules
    const other = join(dir, 'dr-other.yaml');
    writeFileSync(
      other,
      'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews-tls, namespace: bookinfo}\nspec:\n  host: reviews.bookinfo.svc.cluster.local\n',
    );
    const dup = runCli(['check', '-n', 'bookinfo', join(dir, 'dr-v1.yaml'), other]);
    expect(dup.status).toBe(1);
    expect(dup.stdout).toContain('destination-rule-unique');
  });
});
