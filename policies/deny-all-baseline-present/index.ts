import { definePolicy } from '../../src/engine/policy';
import { clusterAccess, notSyncedFinding } from '../../src/policy-helpers/cluster';
import { asString, metadataOf, specOf } from '../../src/policy-helpers/object-access';
import { actionOf, isDenyAllBaseline } from '../deny-all-default/authorization-rules';

interface Params {
  acceptMeshWideBaseline: boolean;
}

const KINDS = ['AuthorizationPolicy'] as const;

export default definePolicy<Params>({
  id: 'deny-all-baseline-present',
  summary: 'An ALLOW AuthorizationPolicy goes into a namespace that has a deny-all baseline.',
  appliesTo: [{ group: 'security.istio.io', kind: 'AuthorizationPolicy' }],
  defaultAction: 'warn',
  defaults: { acceptMeshWideBaseline: true },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { acceptMeshWideBaseline: { type: 'boolean' } },
  },
  clusterKinds: KINDS,
  check(object, ctx) {
    const spec = specOf(object);
    // A baseline itself (ALLOW with no rules) is what this policy asks for.
    if (actionOf(spec) !== 'ALLOW' || isDenyAllBaseline(spec)) return [];
    const access = clusterAccess(ctx, KINDS);
    if (access.state === 'absent') return [];
    if (access.state === 'not-synced')
      return [notSyncedFinding('metadata.namespace', access.kinds, 'whether this namespace has a deny-all baseline')];
    const view = access.view;
    const name = asString(metadataOf(object).name) ?? '';
    // An UPDATE that turns the baseline itself into an ALLOW leaves the namespace without it: not counted.
    if (view.denyAllBaselines(ctx.namespace).some((b) => b.name !== name)) return [];
    const root = ctx.meshRootNamespace;
    const meshWide = ctx.params.acceptMeshWideBaseline && ctx.namespace !== root;
    if (meshWide && view.denyAllBaselines(root).length > 0) return [];
    const inRoot = ctx.namespace === root;
    return [
      {
        path: 'metadata.namespace',
        message: `namespace ${ctx.namespace} has no deny-all baseline AuthorizationPolicy${meshWide ? ` and neither has the root namespace ${root}` : ''}, so every workload no ALLOW policy selects accepts any request${inRoot ? ' (this is the root namespace: mesh-wide)' : ''}`,
        hint: `apply a baseline first: an AuthorizationPolicy named deny-all in ${ctx.namespace} with spec: {}`,
      },
    ];
  },
});
