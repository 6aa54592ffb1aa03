import { matchesPattern } from '../../src/engine/name-patterns';
import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import { asNumber, asRecords, type Json, specOf } from '../../src/policy-helpers/object-access';

interface Params {
  maxPercentage: number;
  namespaceMaxPercentage: Record<string, number>;
}

/**
 * The cap for a namespace: an exact key wins; otherwise the longest matching pattern (the most specific), the lower
 * cap on a tie; otherwise `maxPercentage`.
 */
export function capFor(namespace: string, params: Params): number {
  const caps = params.namespaceMaxPercentage ?? {};
  const exact = caps[namespace];
  if (exact !== undefined) return exact;
  let best: { length: number; cap: number } | undefined;
  for (const [pattern, cap] of Object.entries(caps)) {
    if (!matchesPattern(pattern, namespace)) continue;
    if (best === undefined || pattern.length > best.length || (pattern.length === best.length && cap < best.cap)) {
      best = { length: pattern.length, cap };
    }
  }
  return best?.cap ?? params.maxPercentage;
}

/** A Telemetry in the root namespace without selector or targetRef(s) is the mesh-wide default. */
function isMeshWide(spec: Json, namespace: string, meshRootNamespace: string): boolean {
  return (
    namespace === meshRootNamespace &&
    spec.selector === undefined &&
    spec.targetRef === undefined &&
    spec.targetRefs === undefined
  );
}

export default definePolicy<Params>({
  id: 'tracing-sampling',
  summary: 'Telemetry tracing samples at most a capped percentage of requests (default 10%).',
  appliesTo: [{ group: 'telemetry.istio.io', kind: 'Telemetry' }],
  defaultAction: 'deny',
  defaults: { maxPercentage: 10, namespaceMaxPercentage: {} },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxPercentage: { type: 'number', minimum: 0, maximum: 100 },
      namespaceMaxPercentage: {
        type: 'object',
        propertyNames: { pattern: '^[a-z0-9*?][-a-z0-9*?]*$' },
        additionalProperties: { type: 'number', minimum: 0, maximum: 100 },
      },
    },
  },
  check(object, ctx) {
    const spec = specOf(object);
    const cap = capFor(ctx.namespace, ctx.params);
    const scope = isMeshWide(spec, ctx.namespace, ctx.meshRootNamespace)
      ? `mesh-wide (root namespace ${ctx.namespace})`
      : `in namespace ${ctx.namespace}`;
    const out: PolicyFinding[] = [];
    asRecords(spec.tracing).forEach((tracing, i) => {
      const percentage = asNumber(tracing.randomSamplingPercentage);
      if (percentage === undefined || percentage <= cap) return;
      out.push({
        path: `spec.tracing[${i}].randomSamplingPercentage`,
        message: `randomSamplingPercentage is ${percentage}; at most ${cap} is allowed ${scope}`,
        hint: `lower it to ${cap} or less (1 to 5 is typical in production); to trace one workload at a higher rate while debugging, use a selector and a time-boxed exemption`,
      });
    });
    return out;
  },
});
