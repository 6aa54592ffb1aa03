/**
 * Annotations istiod checks on every kind before the spec: `istio.io/dry-run` (AuthorizationPolicy only, a boolean,
 * ALLOW or DENY actions only) and Istio's internal annotations, which users may not set.
 */
import { asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { keyPath, type Report } from './report';

export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';
const ALWAYS_REJECT_ANNOTATION = 'internal.istio.io/webhook-always-reject';
const PARENTS_ANNOTATION = 'internal.istio.io/parents';

/** Go's strconv.ParseBool. */
const GO_BOOLS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Returns false when istiod would stop here (it rejects before looking at the spec). */
export function validateMetadata(kind: string, spec: Json, meta: Json, namespace: string, report: Report): boolean {
  const annotations = asRecord(meta.annotations) ?? {};
  const name = asString(meta.name) ?? '';
  const at = (a: string) => keyPath('metadata.annotations', a);
  const dryRun = annotations[DRY_RUN_ANNOTATION];
  if (dryRun !== undefined) {
    const value = asString(dryRun) ?? '';
    if (kind !== 'AuthorizationPolicy') {
      report.error(
        at(DRY_RUN_ANNOTATION),
        `${namespace}/${name} has unsupported annotation ${DRY_RUN_ANNOTATION}, please remove the annotation`,
      );
      return false;
    }
    const action = asString(spec.action) ?? 'ALLOW';
    if (action !== 'ALLOW' && action !== 'DENY') {
      report.error(
        at(DRY_RUN_ANNOTATION),
        `the annotation ${DRY_RUN_ANNOTATION} currently only supports action ALLOW/DENY, found action ${action} in ${namespace}/${name}`,
      );
      return false;
    }
    if (!GO_BOOLS.has(value)) {
      report.error(
        at(DRY_RUN_ANNOTATION),
        `${namespace}/${name} has annotation ${DRY_RUN_ANNOTATION} with invalid value (${value}): strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`,
      );
      return false;
    }
  }
  if (annotations[ALWAYS_REJECT_ANNOTATION] !== undefined) {
    report.error(at(ALWAYS_REJECT_ANNOTATION), `"${ALWAYS_REJECT_ANNOTATION}" annotation found, rejecting`);
    return false;
  }
  if (annotations[PARENTS_ANNOTATION] !== undefined) {
    report.error(at(PARENTS_ANNOTATION), `"${PARENTS_ANNOTATION}" annotation found, this may not be set by users`);
    return false;
  }
  return true;
}
