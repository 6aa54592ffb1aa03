import type { AdmissionApiVersion, AdmissionRequest, AdmissionReviewRequest, Operation } from './types';

export type ParsedReview = { ok: true; review: AdmissionReviewRequest } | { ok: false; message: string };

const API_VERSIONS: readonly AdmissionApiVersion[] = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'];
const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];
/** Istio objects nest a few dozen levels at most; far deeper input is an attack on the validators' recursion. */
export const MAX_NESTING_DEPTH = 100;

/** A value from the request, quoted for an error message and clipped: a hostile megabyte is not echoed back. */
function shown(value: unknown): string {
  const text = JSON.stringify(value ?? null) ?? 'null';
  return text.length <= 80 ? text : `${text.slice(0, 77)}...`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isGvk = (v: unknown): boolean =>
  isRecord(v) &&
  typeof v.group === 'string' &&
  typeof v.version === 'string' &&
  typeof v.kind === 'string' &&
  v.kind !== '';

/**
 * Depth of the deepest value (the root object is 1), or the first depth found above `limit`. Recursive, but it
 * never goes deeper than `limit + 1` calls, so hostile input cannot overflow the stack; and it allocates nothing,
 * which matters because every review goes through it.
 */
export function nestingDepth(root: unknown, limit: number): number {
  return root !== null && typeof root === 'object' ? deepest(root, 1, limit) : 0;
}

function deepest(value: object, depth: number, limit: number): number {
  if (depth > limit) return depth;
  let max = depth;
  if (Array.isArray(value)) {
    for (const child of value) {
      if (child !== null && typeof child === 'object') {
        const d = deepest(child, depth + 1, limit);
        if (d > max) max = d;
        if (max > limit) return max;
      }
    }
    return max;
  }
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object') {
      const d = deepest(child, depth + 1, limit);
      if (d > max) max = d;
      if (max > limit) return max;
    }
  }
  return max;
}

/** Checks that a parsed body is an AdmissionReview meshguard can answer; every refusal says what is wrong. */
export function parseAdmissionReview(body: unknown): ParsedReview {
  if (!isRecord(body)) return { ok: false, message: 'body must be a JSON object (an AdmissionReview)' };
  if (body.kind !== 'AdmissionReview')
    return { ok: false, message: `kind must be "AdmissionReview", got ${shown(body.kind)}` };
  if (!API_VERSIONS.includes(body.apiVersion as AdmissionApiVersion)) {
    return {
      ok: false,
      message: `apiVersion must be "admission.k8s.io/v1" (or v1beta1), got ${shown(body.apiVersion)}`,
    };
  }
  const request = body.request;
  if (!isRecord(request))
    return { ok: false, message: 'request is missing: an AdmissionReview sent for review carries a request' };
  if (typeof request.uid !== 'string' || request.uid === '')
    return { ok: false, message: 'request.uid is missing or not a string' };
  if (!OPERATIONS.includes(request.operation as Operation)) {
    return {
      ok: false,
      message: `request.operation must be one of ${OPERATIONS.join(', ')}, got ${shown(request.operation)}`,
    };
  }
  if (!isGvk(request.kind)) return { ok: false, message: 'request.kind must be {group, version, kind}' };
  if (request.resource !== undefined && !isRecord(request.resource))
    return { ok: false, message: 'request.resource must be an object' };
  const op = request.operation as Operation;
  if ((op === 'CREATE' || op === 'UPDATE') && !isRecord(request.object)) {
    return { ok: false, message: `request.object is missing: a ${op} review must carry the object` };
  }
  if (
    op === 'UPDATE' &&
    request.oldObject !== undefined &&
    request.oldObject !== null &&
    !isRecord(request.oldObject)
  ) {
    return { ok: false, message: 'request.oldObject must be an object' };
  }
  for (const name of ['name', 'namespace'] as const) {
    if (request[name] !== undefined && typeof request[name] !== 'string')
      return { ok: false, message: `request.${name} must be a string` };
  }
  if (request.dryRun !== undefined && typeof request.dryRun !== 'boolean')
    return { ok: false, message: 'request.dryRun must be a boolean' };
  if (nestingDepth(body, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
    return { ok: false, message: `the review nests deeper than ${MAX_NESTING_DEPTH} levels; no Istio object does` };
  }
  return { ok: true, review: body as unknown as AdmissionReviewRequest & { request: AdmissionRequest } };
}
