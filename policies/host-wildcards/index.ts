import { matchesPattern } from '../../src/engine/name-patterns';
import { definePolicy, type PolicyContext, type PolicyFinding } from '../../src/engine/policy';
import { asArray, asRecords, asString, type Json, specOf } from '../../src/policy-helpers/object-access';

interface Params {
  wildcardGatewayNamespaces: string[];
  allowedServiceEntryWildcards: string[];
}

type Ctx = PolicyContext<Params>;

const MESH_GATEWAY = 'mesh';

function strings(v: unknown): string[] {
  return asArray(v).filter((x): x is string => typeof x === 'string');
}

function anyMatch(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => matchesPattern(p, value));
}

/**
 * The namespace of a VirtualService `gateways` entry: `ns/name`, the legacy `name.ns.svc.cluster.local`, or a
 * bare `name` in the VirtualService's own namespace.
 */
export function gatewayNamespace(ref: string, ownNamespace: string): string {
  const slash = ref.indexOf('/');
  if (slash >= 0) return ref.slice(0, slash);
  const labels = ref.split('.');
  return labels.length > 1 && labels[1] ? labels[1] : ownNamespace;
}

function checkVirtualService(spec: Json, ctx: Ctx): PolicyFinding[] {
  const gateways = strings(spec.gateways);
  const toMesh = gateways.length === 0 || gateways.includes(MESH_GATEWAY);
  const outside = [
    ...new Set(gateways.filter((g) => g !== MESH_GATEWAY).map((g) => gatewayNamespace(g, ctx.namespace))),
  ]
    .filter((ns) => !anyMatch(ctx.params.wildcardGatewayNamespaces, ns))
    .sort();
  const out: PolicyFinding[] = [];
  strings(spec.hosts).forEach((host, i) => {
    if (host !== '*') return;
    if (toMesh) {
      out.push({
        path: `spec.hosts[${i}]`,
        message: `hosts[${i}] is "*" on a VirtualService bound to the mesh (${gateways.length === 0 ? 'no gateways' : 'gateway "mesh"'}), where it would claim every host; only named hosts are allowed (istiod rejects it too)`,
        hint: 'list the service hosts this VirtualService routes, e.g. reviews.bookinfo.svc.cluster.local',
      });
    } else if (outside.length > 0) {
      out.push({
        path: `spec.hosts[${i}]`,
        message: `hosts[${i}] is "*", a catch-all for every request to gateways in ${outside.join(', ')} that no other VirtualService claims; "*" is allowed only on gateways in namespaces listed in wildcardGatewayNamespaces`,
        hint: "list the hostnames this route serves (the Gateway server's hosts), e.g. shop.example.com",
      });
    }
  });
  return out;
}

/** A ServiceEntry host pattern covered by an allowed wildcard: the same, or narrower (`*.eu.example.com` under `*.example.com`). */
export function wildcardAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allowed.some((a) => {
    const w = a.toLowerCase();
    return h === w || (w.startsWith('*.') && h.startsWith('*.') && h.endsWith(w.slice(1)));
  });
}

/** What a wildcard host covers, in words: `*.example.com` → every host under example.com. */
function covered(host: string): string {
  return host.startsWith('*.') ? `every host under ${host.slice(2)}` : `every host ending in ${host.slice(1)}`;
}

/** Resolutions that send traffic to the entry's endpoints (DYNAMIC_DNS ignores them; NONE cannot have any). */
const ENDPOINT_RESOLUTIONS = new Set(['STATIC', 'DNS', 'DNS_ROUND_ROBIN']);

function checkServiceEntry(spec: Json, ctx: Ctx): PolicyFinding[] {
  const resolution = asString(spec.resolution) ?? 'NONE';
  const hasEndpoints = asArray(spec.endpoints).length > 0 || spec.workloadSelector !== undefined;
  const out: PolicyFinding[] = [];
  strings(spec.hosts).forEach((host, i) => {
    if (!host.startsWith('*')) return;
    const path = `spec.hosts[${i}]`;
    if ((resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') && !hasEndpoints) {
      out.push({
        path,
        message: `hosts[${i}] is ${host} with resolution ${resolution} and no endpoints: the proxy resolves the host itself and a wildcard cannot be resolved, so requests fail; exact hosts are required here`,
        hint: 'list the exact hosts, or use resolution NONE or DYNAMIC_DNS (a wildcard then needs allowedServiceEntryWildcards)',
      });
      return;
    }
    if (wildcardAllowed(host, ctx.params.allowedServiceEntryWildcards)) return;
    if (ENDPOINT_RESOLUTIONS.has(resolution)) {
      out.push({
        path,
        message: `hosts[${i}] is ${host}: ${covered(host)} is sent to this entry's endpoints; exact hosts (or allowedServiceEntryWildcards) are expected`,
        hint: 'list the exact hosts the workloads call, or ask for the domain to be added to allowedServiceEntryWildcards',
        severity: 'warning',
      });
      return;
    }
    out.push({
      path,
      message: `hosts[${i}] is ${host} with resolution ${resolution}: it opens egress to ${covered(host)}, not a reviewed list; only exact hosts and allowedServiceEntryWildcards are allowed`,
      hint: 'list the exact hosts the workloads call, or ask for the domain to be added to allowedServiceEntryWildcards',
    });
  });
  return out;
}

function checkSidecar(spec: Json): PolicyFinding[] {
  return asRecords(spec.egress).flatMap((listener, i) =>
    strings(listener.hosts).flatMap((host, j) =>
      host === '*/*'
        ? [
            {
              path: `spec.egress[${i}].hosts[${j}]`,
              message: `egress[${i}] imports */*, every service of every namespace, as if there were no Sidecar; list the namespaces the workloads call`,
              hint: 'replace */* with the namespaces needed, e.g. "./*" and "istio-system/*"',
              severity: 'warning' as const,
            },
          ]
        : [],
    ),
  );
}

export default definePolicy<Params>({
  id: 'host-wildcards',
  summary: 'No catch-all hosts: "*" on VirtualServices, wildcard ServiceEntry hosts, Sidecar egress */*.',
  appliesTo: [
    { group: 'networking.istio.io', kind: 'VirtualService' },
    { group: 'networking.istio.io', kind: 'ServiceEntry' },
    { group: 'networking.istio.io', kind: 'Sidecar' },
  ],
  defaultAction: 'deny',
  defaults: { wildcardGatewayNamespaces: [], allowedServiceEntryWildcards: [] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      wildcardGatewayNamespaces: { type: 'array', items: { type: 'string', minLength: 1 } },
      allowedServiceEntryWildcards: { type: 'array', items: { type: 'string', pattern: '^\\*\\.[^*]+$' } },
    },
  },
  check(object, ctx) {
    const spec = specOf(object);
    if (object.kind === 'VirtualService') return checkVirtualService(spec, ctx);
    if (object.kind === 'ServiceEntry') return checkServiceEntry(spec, ctx);
    return checkSidecar(spec);
  },
});
