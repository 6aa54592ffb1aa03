import type { K8sObject } from './helm';

/**
 * Kinds the chart may render that kubernetes-models (the Kubernetes API's own OpenAPI schemas) does not describe:
 * cert-manager's and the Prometheus Operator's custom resources. They are checked by the chart tests' assertions
 * only; any other kind without a schema fails validation, so a new kind cannot slip past unchecked.
 */
export const KINDS_WITHOUT_SCHEMA = new Set([
  'cert-manager.io/v1 Certificate',
  'cert-manager.io/v1 Issuer',
  'monitoring.coreos.com/v1 ServiceMonitor',
]);

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/**
 * The kubernetes-models class for an object: `kubernetes-models/<apiVersion>/<Kind>` (core kinds live under `v1/`).
 * undefined when the package has none.
 */
function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  try {
    const mod = require(`kubernetes-models/${apiVersion}/${kind}`) as Record<string, ModelClass>;
    return mod[kind];
  } catch {
    return undefined;
  }
}

export interface SchemaCheck {
  object: string;
  /** 'valid', 'no schema' (a KINDS_WITHOUT_SCHEMA kind) or the validation error. */
  result: string;
}

/**
 * Validates each object against the Kubernetes OpenAPI schema of its kind, offline. This catches wrong types,
 * enum values, formats (quantities, base64 bytes) and missing required fields; it does not catch unknown fields
 * (the Kubernetes OpenAPI schemas do not forbid them), which the chart tests cover by asserting on exact fields.
 */
export function validateObjects(objects: readonly K8sObject[]): SchemaCheck[] {
  return objects.map((o) => {
    const id = `${o.apiVersion} ${o.kind} ${o.metadata?.name}`;
    if (KINDS_WITHOUT_SCHEMA.has(`${o.apiVersion} ${o.kind}`)) return { object: id, result: 'no schema' };
    const Model = modelFor(o.apiVersion, o.kind);
    if (!Model) return { object: id, result: `no kubernetes-models schema for ${o.apiVersion} ${o.kind}` };
    try {
      new Model(o).validate();
      return { object: id, result: 'valid' };
    } catch (err) {
      return { object: id, result: (err as Error).message };
    }
  });
}
