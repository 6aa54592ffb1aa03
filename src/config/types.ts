import type { LabelSelector } from '../engine/name-patterns';
import type { KindRef } from '../engine/policy';
import type { EnforcementAction } from '../engine/types';

/** The meshguard configuration document, as written by a platform team (see docs/configuration.md). */
export interface MeshguardConfigDocument {
  apiVersion?: 'meshguard.io/v1alpha1';
  kind?: 'MeshguardConfig';
  /** `warn-only` admits everything and turns every deny into a warning: the first step of a rollout. */
  enforcement?: 'enforce' | 'warn-only';
  /** Istio's root namespace (meshConfig.rootNamespace). */
  meshRootNamespace?: string;
  /** On UPDATE, findings the stored object already had are warned about instead of denied. */
  ratcheting?: boolean;
  policies?: Record<string, PolicySettings>;
  namespaceOverrides?: NamespaceOverride[];
  exemptions?: ExemptionRule[];
  annotationExemptions?: AnnotationExemptionSettings;
  schemaPolicies?: SchemaPolicyDefinition[];
}

export interface PolicySettings {
  action?: EnforcementAction;
  params?: Record<string, unknown>;
}

export interface NamespaceOverride {
  /** Namespace names or patterns (`team-*`). */
  namespaces?: string[];
  /**
   * Namespaces by label (`matchLabels`, `matchExpressions`), read from the cluster view. With `namespaces` too,
   * both must match. At least one of the two is required.
   */
  namespaceSelector?: LabelSelector;
  /** Policy id → action in those namespaces. */
  policies: Record<string, EnforcementAction>;
}

export interface ExemptionRule {
  /** Policy ids the exemption covers; `*` for all. */
  policies: string[];
  namespaces?: string[];
  names?: string[];
  kinds?: string[];
  labels?: Record<string, string>;
  /** Why: shown in logs and audit records. */
  reason: string;
  /** RFC 3339; after it the exemption no longer counts. */
  until?: string;
}

export interface AnnotationExemptionSettings {
  enabled?: boolean;
  /** Longest allowed distance of `meshguard.io/exempt-until` from now, as a Go duration (`720h`). */
  maxDuration?: string;
  /** Policies that may not be exempted by annotation. */
  forbiddenPolicies?: string[];
}

export interface SchemaPolicyDefinition {
  id: string;
  summary?: string;
  kinds: KindRef[];
  action?: EnforcementAction;
  /** Shown with every violation: what the rule wants. */
  message: string;
  hint?: string;
  /** A JSON Schema the whole object must satisfy. */
  schema: Record<string, unknown>;
}
