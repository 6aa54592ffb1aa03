import { definePolicy, type KindRef, type PolicyFinding } from '../../src/engine/policy';
import { asString, type Json, metadataOf, specOf } from '../../src/policy-helpers/object-access';
import { validateAuthorizationPolicy } from './authorization-policy';
import { validateDestinationRule } from './destination-rule';
import { validateEnvoyFilter } from './envoy-filter';
import { validateTrafficExtension, validateWasmPlugin } from './extensions';
import { validateGateway } from './gateway';
import { validateMetadata } from './metadata';
import { validatePeerAuthentication } from './peer-authentication';
import { validateProxyConfig } from './proxy-config';
import { Report } from './report';
import { validateRequestAuthentication } from './request-authentication';
import { validateServiceEntry } from './service-entry';
import { validateSidecar } from './sidecar';
import { validateTelemetry } from './telemetry';
import { validateVirtualService } from './virtual-service';
import { validateWorkloadEntry, validateWorkloadGroup } from './workload-entry';

type Validator = (spec: Json, meta: Json, namespace: string, report: Report) => void;

/** istiod's validation function for each kind it serves. */
const VALIDATORS: Record<string, { group: string; validate: Validator }> = {
  VirtualService: { group: 'networking.istio.io', validate: (s, m, ns, r) => validateVirtualService(s, m, ns, r) },
  DestinationRule: { group: 'networking.istio.io', validate: (s, _m, ns, r) => validateDestinationRule(s, ns, r) },
  Gateway: { group: 'networking.istio.io', validate: (s, m, _ns, r) => validateGateway(s, m, r) },
  ServiceEntry: { group: 'networking.istio.io', validate: (s, m, ns, r) => validateServiceEntry(s, m, ns, r) },
  Sidecar: { group: 'networking.istio.io', validate: (s, _m, ns, r) => validateSidecar(s, ns, r) },
  EnvoyFilter: { group: 'networking.istio.io', validate: (s, _m, _ns, r) => validateEnvoyFilter(s, r) },
  WorkloadEntry: { group: 'networking.istio.io', validate: (s, _m, _ns, r) => validateWorkloadEntry(s, r) },
  WorkloadGroup: { group: 'networking.istio.io', validate: (s, _m, _ns, r) => validateWorkloadGroup(s, r) },
  ProxyConfig: { group: 'networking.istio.io', validate: (s, _m, _ns, r) => validateProxyConfig(s, r) },
  AuthorizationPolicy: { group: 'security.istio.io', validate: (s, _m, _ns, r) => validateAuthorizationPolicy(s, r) },
  PeerAuthentication: { group: 'security.istio.io', validate: (s, _m, _ns, r) => validatePeerAuthentication(s, r) },
  RequestAuthentication: {
    group: 'security.istio.io',
    validate: (s, _m, _ns, r) => validateRequestAuthentication(s, r),
  },
  Telemetry: { group: 'telemetry.istio.io', validate: (s, _m, _ns, r) => validateTelemetry(s, r) },
  WasmPlugin: { group: 'extensions.istio.io', validate: (s, _m, _ns, r) => validateWasmPlugin(s, r) },
  TrafficExtension: { group: 'extensions.istio.io', validate: (s, _m, _ns, r) => validateTrafficExtension(s, r) },
};

export const ISTIO_KINDS: readonly KindRef[] = Object.entries(VALIDATORS).map(([kind, v]) => ({
  group: v.group,
  kind,
}));

/**
 * What istiod's validating webhook answers for `object`: its errors and warnings, with field paths. Exposed for
 * tests and tools; the policy below adds the wording and the CRD-first rule.
 */
export function istioValidation(object: Json, namespace: string): Report {
  const report = new Report();
  const kind = asString(object.kind) ?? '';
  const validator = VALIDATORS[kind];
  if (validator === undefined) return report;
  const spec = specOf(object);
  const meta = metadataOf(object);
  const ns = namespace || (asString(meta.namespace) ?? '');
  if (validateMetadata(kind, spec, meta, ns, report)) validator.validate(spec, meta, ns, report);
  return report;
}

export default definePolicy({
  id: 'istio-semantics',
  summary:
    "Istio's own validation, as istiod's validating webhook applies it: rejects what istiod rejects, warns where it warns.",
  appliesTo: ISTIO_KINDS,
  defaultAction: 'deny',
  defaults: {},
  paramsSchema: { type: 'object', additionalProperties: false },
  check(object, ctx) {
    // The API server checks the CRD schema before calling any webhook: an object it refuses never reaches istiod,
    // so istiod's verdict on it is moot (and the schema policy already reports why).
    if (ctx.schemaErrors(object).length > 0) return [];
    const seen = new Set<string>();
    const findings: PolicyFinding[] = [];
    for (const issue of istioValidation(object, ctx.namespace).issues) {
      const key = `${issue.severity}\u0000${issue.path}\u0000${issue.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push(
        issue.severity === 'error'
          ? { path: issue.path, message: `configuration is invalid: ${issue.message}` }
          : { path: issue.path, message: issue.message, severity: 'warning' },
      );
    }
    return findings;
  },
});
