import type { LabelSelector } from '../engine/name-patterns';
import type { NamespaceOverride } from './types';

/** A label selector in words: `meshguard.io/profile=strict, tier in (a, b), !legacy`. */
export function describeSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(', ');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.length === 0 ? 'any labels' : parts.join(', ');
}

/** Which namespaces an override covers, for people: "in namespaces `dev`, `sandbox-*` labelled `team=a`". */
export function describeOverrideScope(o: NamespaceOverride): string {
  const names = o.namespaces === undefined ? '' : ` ${o.namespaces.map((n) => `\`${n}\``).join(', ')}`;
  const labels = o.namespaceSelector === undefined ? '' : ` labelled \`${describeSelector(o.namespaceSelector)}\``;
  return `in namespaces${names}${labels}`;
}
