import type { ConfiguredPolicy, EngineConfig } from '../config/engine-config';
import { matchesAny, matchesSelector } from './name-patterns';
import type { EnforcementAction } from './types';

/**
 * The action for a policy in a namespace: the first namespace override that names the policy and matches the
 * namespace wins, else the policy's configured action. An override matches by name (`namespaces`, globs), by label
 * (`namespaceSelector`, labels from the cluster view), or by both when it gives both. Labels that are not known
 * (no cluster view, namespace not seen yet) match no selector. `warn-only` enforcement then turns deny into warn,
 * so a rollout can start without risk.
 */
export function resolveAction(
  configured: ConfiguredPolicy,
  namespace: string,
  config: EngineConfig,
  namespaceLabels?: () => Readonly<Record<string, string>> | undefined,
): EnforcementAction {
  let action = configured.action;
  for (const override of config.namespaceOverrides) {
    const forPolicy = override.policies[configured.policy.id];
    if (forPolicy === undefined) continue;
    if (override.namespaces !== undefined && !matchesAny(override.namespaces, namespace)) continue;
    if (override.namespaceSelector !== undefined) {
      const labels = namespaceLabels?.();
      if (labels === undefined || !matchesSelector(override.namespaceSelector, labels)) continue;
    }
    action = forPolicy;
    break;
  }
  return action === 'deny' && config.enforcement === 'warn-only' ? 'warn' : action;
}
