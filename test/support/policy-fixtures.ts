import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject, Operation } from '../../src/admission/types';
import { parseYamlDocuments } from '../../src/yaml/yaml-documents';

/**
 * A policy fixture: one YAML file under policies/<id>/fixtures/{allowed,denied}/. Header comments set the scene:
 *   # expect: spec.a, spec.b      paths the policy must report (denied fixtures)
 *   # severity: warning           the expected findings are warnings (flagged, not blocking)
 *   # operation: UPDATE           default CREATE; UPDATE files hold the old object, then the new one
 *   # namespace: istio-system     default: metadata.namespace
 *   # params: {"max": 5}          parameters merged over the policy's defaults
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
}

function header(text: string, key: string): string | undefined {
  const m = text.match(new RegExp(`^#\\s*${key}:\\s*(.+)$`, 'm'));
  return m?.[1]?.trim();
}

export function policyFolder(id: string): string {
  return join(__dirname, '../../policies', id);
}

export function loadPolicyFixtures(id: string): PolicyFixture[] {
  const out: PolicyFixture[] = [];
  for (const verdict of ['allowed', 'denied'] as const) {
    const dir = join(policyFolder(id), 'fixtures', verdict);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()) {
      const file = join(dir, name);
      const text = readFileSync(file, 'utf8');
      const docs = parseYamlDocuments(text)
        .map((d) => d.value as KubeObject)
        .filter(Boolean);
      const operation = (header(text, 'operation') ?? 'CREATE') as Operation;
      const [first, second] = docs;
      const object = (operation === 'UPDATE' ? second : first) as KubeObject;
      const meta = (object?.metadata ?? {}) as { namespace?: string };
      out.push({
        file: `${id}/fixtures/${verdict}/${name}`,
        verdict,
        object,
        oldObject: operation === 'UPDATE' ? first : undefined,
        operation,
        namespace: header(text, 'namespace') ?? meta.namespace ?? 'default',
        expect: (header(text, 'expect') ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        severity: header(text, 'severity') === 'warning' ? 'warning' : 'error',
        params: JSON.parse(header(text, 'params') ?? '{}') as Record<string, unknown>,
      });
    }
  }
  return out;
}
