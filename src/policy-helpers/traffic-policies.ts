import { asRecord, asRecords, asString, dig, type Json } from './object-access';

/**
 * Where a DestinationRule can hold a traffic policy: the top level, each `portLevelSettings[i]`, each subset, and
 * each subset's `portLevelSettings[j]`. Every DestinationRule policy walks these same four places.
 */
export interface TrafficPolicyAt {
  /** kubectl path of the policy object: `spec.trafficPolicy`, `spec.subsets[1].trafficPolicy.portLevelSettings[0]`. */
  path: string;
  policy: Json;
  /** Human label for messages: `the top level`, `port 9080`, `subset v1`, `subset v1 port 9080`. */
  where: string;
}

/** `port 9080`, or `port http` when the port is selected by name, or `portLevelSettings[2]` without a selector. */
function portLabel(settings: Json, index: number): string {
  const port = asRecord(settings.port);
  const number = port?.number;
  if (typeof number === 'number') return `port ${number}`;
  const name = asString(port?.name);
  return name !== undefined ? `port ${name}` : `portLevelSettings[${index}]`;
}

/** The port-level entries under one traffic policy, each with its path and label. */
export function portLevelPolicies(policy: Json | undefined, path: string, prefix: string): TrafficPolicyAt[] {
  return asRecords(dig(policy, 'portLevelSettings')).map((p, i) => ({
    path: `${path}.portLevelSettings[${i}]`,
    policy: p,
    where: `${prefix}${portLabel(p, i)}`,
  }));
}

/** Subset name for messages, falling back to its index. */
export function subsetLabel(subset: Json, index: number): string {
  return `subset ${asString(subset.name) ?? `#${index}`}`;
}

/** Every traffic policy in a DestinationRule spec, top level first, in document order. */
export function trafficPolicies(spec: Json): TrafficPolicyAt[] {
  const out: TrafficPolicyAt[] = [];
  const top = asRecord(spec.trafficPolicy);
  if (top) out.push({ path: 'spec.trafficPolicy', policy: top, where: 'the top level' });
  out.push(...portLevelPolicies(top, 'spec.trafficPolicy', ''));
  asRecords(spec.subsets).forEach((subset, i) => {
    const policy = asRecord(subset.trafficPolicy);
    const path = `spec.subsets[${i}].trafficPolicy`;
    const label = subsetLabel(subset, i);
    if (policy) out.push({ path, policy, where: label });
    out.push(...portLevelPolicies(policy, path, `${label} `));
  });
  return out;
}
