// AdmissionReviews as the API server sends them: the stored form of the object (uid, resourceVersion,
// managedFields, kubectl's last-applied annotation), userInfo with groups, requestKind/requestResource, options.
// Mirrors test/support/review.ts (reviewFor), which the bench cannot import because it is TypeScript.
import { createHash } from 'node:crypto';
import { requireDist } from './dist.mjs';

let registry;
/** The resource (plural) of a kind, from the CRDs meshguard serves; a guess for kinds it does not serve. */
function pluralOf(kind) {
  registry ??= requireDist('schema/kind-registry').KindRegistry.load();
  return registry.kinds.find((k) => k.kind === kind)?.plural ?? `${kind.toLowerCase()}s`;
}

/** A stable uuid-shaped id, so bodies are byte-identical from run to run. */
function stableUid(seed) {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** managedFields' fieldsV1 shape of a value: every key as `f:key`, leaves as `{}`. */
function fieldsV1(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const out = {};
  for (const [k, v] of Object.entries(value)) out[`f:${k}`] = fieldsV1(v);
  return out;
}

/** The object as etcd holds it after `kubectl apply`, at the given generation. */
export function storedObject(object, generation = 1) {
  const meta = object.metadata ?? {};
  const applied = JSON.stringify(object);
  return {
    ...object,
    metadata: {
      ...meta,
      namespace: meta.namespace ?? 'default',
      uid: stableUid(`${object.kind}/${meta.namespace}/${meta.name}`),
      resourceVersion: String(48_213_000 + generation * 17),
      generation,
      creationTimestamp: '2026-10-01T09:12:44Z',
      annotations: { ...(meta.annotations ?? {}), 'kubectl.kubernetes.io/last-applied-configuration': `${applied}\n` },
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: object.apiVersion,
          time: '2026-10-01T09:12:44Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } },
            'f:spec': fieldsV1(object.spec),
          },
        },
      ],
    },
  };
}

/** Wraps an object in the AdmissionReview the API server would send for it. */
export function reviewFor(object, operation = 'CREATE', extra = {}) {
  const [group, version] = String(object.apiVersion).split('/');
  const kind = String(object.kind);
  const meta = object.metadata ?? {};
  const gvk = { group, version, kind };
  const gvr = { group, version, resource: pluralOf(kind) };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: stableUid(`${operation}/${kind}/${meta.namespace}/${meta.name}/${extra.seed ?? ''}`),
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: meta.name,
      namespace: meta.namespace ?? 'default',
      operation,
      userInfo: {
        username: 'system:serviceaccount:argocd:argocd-application-controller',
        uid: '2b0c6a35-7f43-4f7e-9d0e-1f6c3bb0e2d1',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:argocd', 'system:authenticated'],
      },
      object: operation === 'DELETE' ? null : object,
      oldObject: extra.oldObject ?? (operation === 'DELETE' ? object : null),
      dryRun: extra.dryRun ?? false,
      options: {
        apiVersion: 'meta.k8s.io/v1',
        kind: operation === 'UPDATE' ? 'UpdateOptions' : operation === 'DELETE' ? 'DeleteOptions' : 'CreateOptions',
        fieldManager: 'kubectl-client-side-apply',
      },
    },
  };
}

/**
 * The load mix: every allowed object as a CREATE and as an UPDATE (which carries oldObject too, so it is about twice
 * the size), every denied object as a CREATE. With the objects in bench/objects that is 16 allowed and 4 denied.
 * @returns {{ label: string, expect: 'allowed' | 'denied', review: object, body: string }[]}
 */
export function reviewMix(benchObjects) {
  const out = [];
  for (const o of benchObjects) {
    const created = storedObject(o.object, 1);
    out.push({ label: `CREATE ${o.kind}/${o.name}`, expect: o.expect, review: reviewFor(created, 'CREATE') });
    if (o.expect === 'allowed') {
      const updated = storedObject(o.object, 2);
      out.push({
        label: `UPDATE ${o.kind}/${o.name}`,
        expect: o.expect,
        review: reviewFor(updated, 'UPDATE', { oldObject: created }),
      });
    }
  }
  return out.map((r) => ({ ...r, body: JSON.stringify(r.review) }));
}
