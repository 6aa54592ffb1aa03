import type { KubeObject, Operation } from '../../../src/admission/types';
import type { ClusterView } from '../../../src/cluster/types';
import type { EngineConfig } from '../../../src/config/engine-config';
import { evaluate } from '../../../src/engine/evaluate';
import type { Verdict } from '../../../src/engine/types';
import { config, schemas } from '../../support/engine';

/** The engine's verdict on an object, with a cluster view (test/support/engine.ts's judge() has none). */
export function judgeWith(
  object: KubeObject,
  options: {
    config?: EngineConfig;
    cluster?: ClusterView;
    operation?: Operation;
    oldObject?: KubeObject;
    username?: string;
  },
): Extract<Verdict, { handled: true }> {
  const operation = options.operation ?? 'CREATE';
  const source = operation === 'DELETE' ? (options.oldObject ?? object) : object;
  const [group, version] = String(source.apiVersion).split('/') as [string, string];
  const meta = source.metadata as { name?: string; namespace?: string };
  const verdict = evaluate(
    {
      operation,
      gvk: { group, version, kind: String(source.kind) },
      object: operation === 'DELETE' ? null : object,
      oldObject: operation === 'DELETE' ? source : options.oldObject,
      namespace: meta.namespace,
      name: meta.name,
      ...(options.username ? { userInfo: { username: options.username } } : {}),
    },
    {
      schemas,
      mode: 'webhook',
      config: options.config ?? config(),
      now: new Date('2026-11-22T12:00:00Z'),
      cluster: options.cluster,
    },
  );
  if (!verdict.handled) throw new Error(`not handled: ${verdict.reason}`);
  return verdict;
}
