import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import { DEFAULT_MESH_DOMAIN_SUFFIXES, isInMeshHost } from '../../src/policy-helpers/hosts';
import { asRecord, asString, dig, type Json, specOf } from '../../src/policy-helpers/object-access';
import { trafficPolicies } from '../../src/policy-helpers/traffic-policies';

interface Params {
  requireExplicitStrict: boolean;
  meshDomainSuffixes: string[];
}

const WEAK_PEER_MODES = new Set(['PERMISSIVE', 'DISABLE']);

function checkPeerAuthentication(spec: Json, params: Params): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  const mode = asString(dig(spec, 'mtls', 'mode'));
  if (mode !== undefined && WEAK_PEER_MODES.has(mode)) {
    out.push({
      path: 'spec.mtls.mode',
      message: `mtls.mode is ${mode}; only STRICT (or UNSET, inheriting) is allowed`,
      hint: 'set spec.mtls.mode: STRICT once every client has a sidecar; PERMISSIVE is a migration step only',
    });
  } else if (params.requireExplicitStrict && mode !== 'STRICT') {
    out.push({
      path: 'spec.mtls.mode',
      message: `mtls.mode is ${mode ?? 'not set'}; this cluster requires an explicit STRICT`,
      hint: 'set spec.mtls.mode: STRICT',
    });
  }
  const ports = asRecord(spec.portLevelMtls) ?? {};
  for (const port of Object.keys(ports).sort()) {
    const portMode = asString(dig(ports[port], 'mode'));
    if (portMode !== undefined && WEAK_PEER_MODES.has(portMode)) {
      out.push({
        path: `spec.portLevelMtls[${port}].mode`,
        message: `port ${port} mtls.mode is ${portMode}; only STRICT (or UNSET, inheriting) is allowed`,
        hint: `remove the port ${port} entry or set it to STRICT`,
      });
    }
  }
  return out;
}

/** Every place a DestinationRule can set client TLS: top level, per port, per subset and per subset port. */
function tlsSettings(spec: Json): Array<{ path: string; tls: Json }> {
  return trafficPolicies(spec).flatMap(({ path, policy }) => {
    const tls = asRecord(policy.tls);
    return tls ? [{ path: `${path}.tls`, tls }] : [];
  });
}

function checkDestinationRule(spec: Json, params: Params): PolicyFinding[] {
  const host = asString(spec.host);
  if (host === undefined || !isInMeshHost(host, params.meshDomainSuffixes)) return [];
  const out: PolicyFinding[] = [];
  for (const { path, tls } of tlsSettings(spec)) {
    const mode = asString(tls.mode);
    if (mode === 'DISABLE') {
      out.push({
        path: `${path}.mode`,
        message: `tls.mode is DISABLE towards in-mesh host ${host}, which sends plaintext; ISTIO_MUTUAL (or leaving it unset) is allowed`,
        hint: 'remove tls.mode or set it to ISTIO_MUTUAL',
      });
    } else if (mode === 'SIMPLE' || mode === 'MUTUAL') {
      out.push({
        path: `${path}.mode`,
        message: `tls.mode is ${mode} towards in-mesh host ${host}, which bypasses Istio's mutual TLS identities; ISTIO_MUTUAL is expected`,
        hint: 'use ISTIO_MUTUAL for services in the mesh; SIMPLE and MUTUAL are for external hosts',
        severity: 'warning',
      });
    }
  }
  return out;
}

export default definePolicy<Params>({
  id: 'mtls-mode',
  summary:
    'Mutual TLS stays STRICT: no PERMISSIVE or DISABLE PeerAuthentication, no plaintext DestinationRule to in-mesh hosts.',
  appliesTo: [
    { group: 'security.istio.io', kind: 'PeerAuthentication' },
    { group: 'networking.istio.io', kind: 'DestinationRule' },
  ],
  defaultAction: 'deny',
  defaults: { requireExplicitStrict: false, meshDomainSuffixes: DEFAULT_MESH_DOMAIN_SUFFIXES },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      requireExplicitStrict: { type: 'boolean' },
      meshDomainSuffixes: { type: 'array', items: { type: 'string', pattern: '^\\.' } },
    },
  },
  check(object, ctx) {
    const spec = specOf(object);
    return object.kind === 'PeerAuthentication'
      ? checkPeerAuthentication(spec, ctx.params)
      : checkDestinationRule(spec, ctx.params);
  },
});
