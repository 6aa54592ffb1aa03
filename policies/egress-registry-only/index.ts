import { matchesPattern } from '../../src/engine/name-patterns';
import { definePolicy, type PolicyContext, type PolicyFinding } from '../../src/engine/policy';
import { asRecord, asString, dig, specOf } from '../../src/policy-helpers/object-access';

interface Params {
  allowAnyNamespaces: string[];
  requireExplicitRegistryOnly: boolean;
}

const PATH = 'spec.outboundTrafficPolicy.mode';

function allowAnyAccepted(ctx: PolicyContext<Params>): boolean {
  return ctx.params.allowAnyNamespaces.some((p) => matchesPattern(p, ctx.namespace));
}

function scopeOf(ctx: PolicyContext<Params>, hasSelector: boolean): string {
  if (hasSelector) return 'the selected workloads';
  return ctx.namespace === ctx.meshRootNamespace
    ? `every namespace without its own Sidecar (${ctx.namespace} is the root namespace)`
    : `every workload in namespace ${ctx.namespace}`;
}

export default definePolicy<Params>({
  id: 'egress-registry-only',
  summary: 'Sidecars send traffic only to known destinations: outboundTrafficPolicy REGISTRY_ONLY, not ALLOW_ANY.',
  appliesTo: [{ group: 'networking.istio.io', kind: 'Sidecar' }],
  defaultAction: 'warn',
  defaults: { allowAnyNamespaces: [], requireExplicitRegistryOnly: false },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      allowAnyNamespaces: { type: 'array', items: { type: 'string', minLength: 1 } },
      requireExplicitRegistryOnly: { type: 'boolean' },
    },
  },
  check(object, ctx): PolicyFinding[] {
    const spec = specOf(object);
    const mode = asString(dig(spec, 'outboundTrafficPolicy', 'mode'));
    if (allowAnyAccepted(ctx)) return [];
    if (mode === 'ALLOW_ANY') {
      const scope = scopeOf(ctx, Object.keys(asRecord(dig(spec, 'workloadSelector', 'labels')) ?? {}).length > 0);
      return [
        {
          path: PATH,
          message: `ALLOW_ANY lets ${scope} reach any host outside the service registry; REGISTRY_ONLY is expected`,
          hint: 'set outboundTrafficPolicy.mode: REGISTRY_ONLY and add a ServiceEntry for each external host the workloads need',
        },
      ];
    }
    if (mode === undefined && ctx.params.requireExplicitRegistryOnly) {
      return [
        {
          path: PATH,
          message:
            'not set, so the mesh default applies (ALLOW_ANY unless meshConfig says otherwise); REGISTRY_ONLY must be explicit here',
          hint: 'set outboundTrafficPolicy.mode: REGISTRY_ONLY',
        },
      ];
    }
    return [];
  },
});
