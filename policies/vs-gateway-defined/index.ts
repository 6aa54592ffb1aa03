import { matchesPattern } from '../../src/engine/name-patterns';
import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import { clusterAccess, notSyncedFinding } from '../../src/policy-helpers/cluster';
import { listNames } from '../../src/policy-helpers/destination-rules';
import { gatewayHostServes, MESH_GATEWAY, resolveGatewayRef, resolveHost } from '../../src/policy-helpers/hosts';
import { asArray, asRecords, type Json, specOf } from '../../src/policy-helpers/object-access';

interface Params {
  ignoreGateways: string[];
}

const KINDS = ['Gateway'] as const;

/** Every gateway a VirtualService names: `spec.gateways`, and the `gateways` of http, tls and tcp matches. */
function gatewayRefs(spec: Json): Array<{ path: string; ref: string }> {
  const out: Array<{ path: string; ref: string }> = [];
  const add = (path: string, list: unknown) => {
    asArray(list).forEach((g, i) => {
      if (typeof g === 'string' && g.trim() !== '' && g.trim() !== MESH_GATEWAY)
        out.push({ path: `${path}[${i}]`, ref: g });
    });
  };
  add('spec.gateways', spec.gateways);
  for (const section of ['http', 'tls', 'tcp'] as const) {
    asRecords(spec[section]).forEach((route, i) => {
      asRecords(route.match).forEach((m, j) => {
        add(`spec.${section}[${i}].match[${j}].gateways`, m.gateways);
      });
    });
  }
  return out;
}

export default definePolicy<Params>({
  id: 'vs-gateway-defined',
  summary: 'Every Gateway a VirtualService binds to exists and serves at least one of its hosts.',
  appliesTo: [{ group: 'networking.istio.io', kind: 'VirtualService' }],
  // The Gateway may be applied after the route (GitOps ordering): flag, do not block, unless configured.
  defaultAction: 'warn',
  defaults: { ignoreGateways: [] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { ignoreGateways: { type: 'array', items: { type: 'string', minLength: 1 } } },
  },
  clusterKinds: KINDS,
  check(object, ctx) {
    const spec = specOf(object);
    const refs = gatewayRefs(spec);
    if (refs.length === 0) return [];
    const access = clusterAccess(ctx, KINDS);
    if (access.state === 'absent') return [];
    if (access.state === 'not-synced')
      return [
        notSyncedFinding(refs[0]?.path ?? 'spec.gateways', access.kinds, 'the gateways this VirtualService binds to'),
      ];
    const view = access.view;
    const hosts = asArray(spec.hosts)
      .filter((h): h is string => typeof h === 'string' && h !== '')
      .map((h) => resolveHost(h, ctx.namespace, view.clusterDomain));
    const out: PolicyFinding[] = [];
    for (const { path, ref } of refs) {
      const gw = resolveGatewayRef(ref, ctx.namespace);
      if (gw === undefined) continue;
      const name = `${gw.namespace}/${gw.name}`;
      if (ctx.params.ignoreGateways.some((p) => matchesPattern(p, name))) continue;
      const gateway = view.gateway(gw.namespace, gw.name);
      if (gateway === undefined) {
        out.push({
          path,
          message: `gateway ${name} does not exist, so this route is not served by any gateway`,
          hint:
            ref.includes('/') || gw.namespace !== ctx.namespace
              ? `create Gateway ${name}, or fix the reference`
              : `a gateway in another namespace is written <namespace>/<name>; create Gateway ${name} or fix the reference`,
        });
        continue;
      }
      const serves = hosts.some((h) =>
        gateway.hosts.some((sh) => gatewayHostServes(sh, gw.namespace, h, ctx.namespace)),
      );
      if (!serves) {
        out.push({
          path,
          message: `gateway ${name} serves none of this VirtualService's hosts (${listNames(hosts)}) for namespace ${ctx.namespace}; it serves ${gateway.hosts.length === 0 ? 'no hosts' : listNames(gateway.hosts)}`,
          hint: 'add a matching host to the Gateway server (or its namespace/ prefix), or bind the route to the right gateway',
        });
      }
    }
    return out;
  },
});
