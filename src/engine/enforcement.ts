import type { ConfiguredPolicy, EngineConfig } from '../config/engine-config';
import { matchesAny } from './name-patterns';
import type { EnforcementAction } from './types';

/**
 * The action for a policy in a namespace: the first namespace override that names both wins, else the policy's
 * configured action. `warn-only` enforcement then turns deny into warn, so a rollout can start without risk.
 */
export function resolveAction(
  configured: ConfiguredPolicy,
  namespace: string,
  config: EngineConfig,
): EnforcementAction {
  let action = configured.action;
  for (const override of config.namespaceOverrides) {
    const forPolicy = override.policies[configured.policy.id];
    if (forPolicy !== undefined && matchesAny(override.namespaces, namespace)) {
      action = forPolicy;
      break;
    }
  }
  return action === 'deny' && config.enforcement === 'warn-only' ? 'warn' : action;
}
