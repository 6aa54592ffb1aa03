import type { AnyPolicy } from '../engine/policy';
import type { EnforcementAction } from '../engine/types';
import type { NamespaceOverride } from './types';

/** A policy with its configured action and parameters (defaults merged in). */
export interface ConfiguredPolicy {
  policy: AnyPolicy;
  action: EnforcementAction;
  params: Record<string, unknown>;
}

export interface ConfiguredExemption {
  policies: string[];
  namespaces?: string[];
  names?: string[];
  kinds?: string[];
  labels?: Record<string, string>;
  reason: string;
  until?: Date;
  /** Where it was written, to tell people which rule exempted an object. */
  source: string;
}

/** The configuration as the engine uses it: validated, defaults applied, dates and durations parsed. */
export interface EngineConfig {
  enforcement: 'enforce' | 'warn-only';
  meshRootNamespace: string;
  ratcheting: boolean;
  /** Registry policies first (registry order), then schema policies (configuration order). */
  policies: ConfiguredPolicy[];
  namespaceOverrides: NamespaceOverride[];
  exemptions: ConfiguredExemption[];
  annotationExemptions: { enabled: boolean; maxDurationMs: number; maxDuration: string; forbiddenPolicies: string[] };
}
