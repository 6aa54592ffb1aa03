/**
 * How a policy picks its workloads: a `selector`, a `targetRef` or `targetRefs` (never more than one of them), and
 * each reference to a kind istiod can attach policies to, in the policy's own namespace.
 */
import { asArray, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { validateWorkloadSelector } from './labels';
import type { Report } from './report';

/** group (empty means the core group), kind. */
const ALLOWED_TARGETS: ReadonlyArray<readonly [string, string]> = [
  ['core', 'Service'],
  ['networking.istio.io', 'ServiceEntry'],
  ['gateway.networking.k8s.io', 'Gateway'],
  ['gateway.networking.k8s.io', 'GatewayClass'],
];
const ALLOWED_TEXT =
  '[core/v1/Service networking.istio.io/v1/ServiceEntry gateway.networking.k8s.io/v1/Gateway gateway.networking.k8s.io/v1/GatewayClass]';

export function validateTargetRef(ref: unknown, path: string, report: Report): void {
  const r = asRecord(ref);
  if (r === undefined) return;
  if ((asString(r.name) ?? '') === '') report.error(path, 'targetRef name must be set');
  if ((asString(r.namespace) ?? '') !== '') {
    report.error(
      `${path}.namespace`,
      'targetRef namespace must not be set; cross namespace referencing is not supported',
    );
  }
  const group = asString(r.group) ?? '';
  const kind = asString(r.kind) ?? '';
  const canonical = group === '' ? 'core' : group;
  if (!ALLOWED_TARGETS.some(([g, k]) => g === canonical && k === kind)) {
    report.error(path, `targetRef must be to one of ${ALLOWED_TEXT} but was ${group}/${kind}`);
  }
}

/**
 * The selection fields of AuthorizationPolicy, RequestAuthentication, Telemetry and WasmPlugin: at most one of
 * `selector`, `targetRef`, `targetRefs`; each well-formed.
 */
export function validatePolicySelection(spec: Json, report: Report): void {
  const targetRefs = asArray(spec.targetRefs);
  const set = (spec.selector != null ? 1 : 0) + (spec.targetRef != null ? 1 : 0) + (targetRefs.length > 0 ? 1 : 0);
  if (set > 1) report.error('spec', 'only one of targetRefs or workloadSelector can be set');
  validateWorkloadSelector(spec.selector, 'spec.selector', report);
  validateTargetRef(spec.targetRef, 'spec.targetRef', report);
  targetRefs.forEach((r, i) => {
    validateTargetRef(r, `spec.targetRefs[${i}]`, report);
  });
}
