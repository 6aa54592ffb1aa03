import { randomUUID } from 'node:crypto';
import type { AdmissionReviewRequest, Operation } from '../../src/admission/types';
import { KindRegistry } from '../../src/schema/kind-registry';

let registry: KindRegistry | undefined;
/** The resource (plural) of a kind, from the CRDs meshguard serves; a guess for kinds it does not serve. */
function pluralOf(kind: string): string {
  registry ??= KindRegistry.load();
  return registry.kinds.find((k) => k.kind === kind)?.plural ?? `${kind.toLowerCase()}s`;
}

/** Wraps an object in the AdmissionReview the API server would send for it. */
export function reviewFor(
  object: Record<string, unknown>,
  operation: Operation = 'CREATE',
  extra: { oldObject?: Record<string, unknown>; dryRun?: boolean } = {},
): AdmissionReviewRequest {
  const [group, version] = String(object.apiVersion).split('/') as [string, string];
  const kind = String(object.kind);
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group, version, kind },
      resource: { group, version, resource: pluralOf(kind) },
      name: meta.name,
      namespace: meta.namespace ?? 'default',
      operation,
      userInfo: { username: 'test-user' },
      object: operation === 'DELETE' ? null : object,
      oldObject: extra.oldObject ?? (operation === 'DELETE' ? object : null),
      dryRun: extra.dryRun ?? false,
    },
  };
}
