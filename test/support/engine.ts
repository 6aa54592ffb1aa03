import { policies } from '../../policies';
import type { KubeObject, Operation } from '../../src/admission/types';
import type { EngineConfig } from '../../src/config/engine-config';
import { formatConfigError, loadConfig } from '../../src/config/load-config';
import { evaluate } from '../../src/engine/evaluate';
import type { Verdict } from '../../src/engine/types';
import { IstioSchemas } from '../../src/schema/istio-schemas';

export const schemas = IstioSchemas.load();

/** A configuration from YAML text, failing the test with the loader's own messages if it is invalid. */
export function config(yaml = ''): EngineConfig {
  const r = loadConfig(yaml, 'test.yaml', policies, schemas.registry);
  if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
  return r.config;
}

export function judge(
  object: KubeObject,
  options: {
    config?: EngineConfig;
    operation?: Operation;
    oldObject?: KubeObject;
    now?: Date;
    namespace?: string;
  } = {},
): Extract<Verdict, { handled: true }> {
  const source = options.operation === 'DELETE' ? (options.oldObject ?? object) : object;
  const [group, version] = String(source.apiVersion).split('/') as [string, string];
  const meta = source.metadata as { name?: string; namespace?: string };
  const verdict = evaluate(
    {
      operation: options.operation ?? 'CREATE',
      gvk: { group, version, kind: String(source.kind) },
      object: options.operation === 'DELETE' ? null : object,
      oldObject: options.operation === 'DELETE' ? source : options.oldObject,
      namespace: options.namespace ?? meta.namespace,
      name: meta.name,
    },
    {
      schemas,
      mode: 'webhook',
      config: options.config ?? config(),
      now: options.now ?? new Date('2026-11-22T12:00:00Z'),
    },
  );
  if (!verdict.handled) throw new Error(`not handled: ${verdict.reason}`);
  return verdict;
}

export const peerAuth = (mode: string, namespace = 'payments', extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name: 'default', namespace, ...extra },
  spec: { mtls: { mode } },
});
