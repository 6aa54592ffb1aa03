import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject, Operation } from '../../src/admission/types';
import { ClusterIndex } from '../../src/cluster/cluster-index';
import { parseYamlDocuments } from '../../src/yaml/yaml-documents';

/**
 * A policy fixture under policies/<id>/fixtures/{allowed,denied}/, in one of two forms:
 *
 * - a file `<name>.yaml`: the object (for UPDATE the old object, then the new one), then optionally a line
 *   `# cluster:` followed by the surrounding objects, the other objects that exist in the cluster;
 * - a folder `<name>/` with `object.yaml` (the object, as above, with the header comments) and `cluster.yaml`
 *   (the surrounding objects).
 *
 * Header comments (in the file, or in object.yaml) set the scene:
 *   # expect: spec.a, spec.b      paths the policy must report (denied fixtures)
 *   # severity: warning           the expected findings are warnings (flagged, not blocking)
 *   # operation: UPDATE           default CREATE; UPDATE files hold the old object, then the new one
 *   # namespace: istio-system     default: metadata.namespace
 *   # params: {"max": 5}          parameters merged over the policy's defaults
 *   # user: system:serviceaccount:kube-system:namespace-controller   who sends the request
 *
 * The cluster view a fixture is judged with holds the surrounding objects and, as in a real cluster, the object
 * being updated (its old version) or deleted. A fixture without surrounding objects gets an empty, synced view.
 */
export interface PolicyFixture {
  file: string;
  verdict: 'allowed' | 'denied';
  object: KubeObject;
  oldObject?: KubeObject;
  operation: Operation;
  namespace: string;
  expect: string[];
  severity: 'error' | 'warning';
  params: Record<string, unknown>;
  username?: string;
  /** The surrounding objects as written (without the object under review). */
  surrounding: KubeObject[];
  /** The view the policy reads. */
  cluster: ClusterIndex;
}

/** The line that separates the object under review from its surroundings in a one-file fixture. */
const CLUSTER_SEPARATOR = /^#\s*cluster:.*$/m;

function header(text: string, key: string): string | undefined {
  const m = text.match(new RegExp(`^#\\s*${key}:\\s*(.+)$`, 'm'));
  return m?.[1]?.trim();
}

function objectsOf(text: string, filename: string): KubeObject[] {
  return parseYamlDocuments(text, { filename })
    .map((d) => d.value as KubeObject)
    .filter(Boolean);
}

export function policyFolder(id: string): string {
  return join(__dirname, '../../policies', id);
}

function readFixture(dir: string, name: string): { text: string; surroundingText: string; label: string } {
  const path = join(dir, name);
  if (statSync(path).isDirectory()) {
    const cluster = join(path, 'cluster.yaml');
    return {
      text: readFileSync(join(path, 'object.yaml'), 'utf8'),
      surroundingText: existsSync(cluster) ? readFileSync(cluster, 'utf8') : '',
      label: `${name}/`,
    };
  }
  const whole = readFileSync(path, 'utf8');
  const separator = whole.match(CLUSTER_SEPARATOR);
  if (separator?.index === undefined) return { text: whole, surroundingText: '', label: name };
  return {
    text: whole.slice(0, separator.index),
    surroundingText: whole.slice(separator.index + separator[0].length),
    label: name,
  };
}

export function loadPolicyFixtures(id: string): PolicyFixture[] {
  const out: PolicyFixture[] = [];
  for (const verdict of ['allowed', 'denied'] as const) {
    const dir = join(policyFolder(id), 'fixtures', verdict);
    if (!existsSync(dir)) continue;
    const names = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f) || existsSync(join(dir, f, 'object.yaml')))
      .sort();
    for (const name of names) {
      const { text, surroundingText, label } = readFixture(dir, name);
      const docs = objectsOf(text, name);
      const operation = (header(text, 'operation') ?? 'CREATE') as Operation;
      const [first, second] = docs;
      const object = (operation === 'UPDATE' ? second : first) as KubeObject;
      const oldObject = operation === 'UPDATE' ? first : undefined;
      const meta = (object?.metadata ?? {}) as { namespace?: string };
      const namespace = header(text, 'namespace') ?? meta.namespace ?? 'default';
      const surrounding = surroundingText === '' ? [] : objectsOf(surroundingText, `${name} (cluster)`);
      // What the API server already stores: the old version of an updated object, the object being deleted.
      const stored = operation === 'UPDATE' ? oldObject : operation === 'DELETE' ? object : undefined;
      out.push({
        file: `${id}/fixtures/${verdict}/${label}`,
        verdict,
        object,
        oldObject,
        operation,
        namespace,
        expect: (header(text, 'expect') ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        severity: header(text, 'severity') === 'warning' ? 'warning' : 'error',
        params: JSON.parse(header(text, 'params') ?? '{}') as Record<string, unknown>,
        username: header(text, 'user'),
        surrounding,
        cluster: ClusterIndex.fromObjects(stored === undefined ? surrounding : [...surrounding, stored], {
          defaultNamespace: namespace,
        }),
      });
    }
  }
  return out;
}
