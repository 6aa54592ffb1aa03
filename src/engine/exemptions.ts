import type { KubeObject } from '../admission/types';
import type { EngineConfig } from '../config/engine-config';
import { matchesAny, matchesLabels } from './name-patterns';

export const EXEMPT_ANNOTATION = 'meshguard.io/exempt';
export const EXEMPT_UNTIL_ANNOTATION = 'meshguard.io/exempt-until';
export const EXEMPT_REASON_ANNOTATION = 'meshguard.io/exempt-reason';

export type ExemptionOutcome =
  | { exempt: true; by: string; reason: string; until?: Date }
  /** `note` explains an exemption that exists but does not count (expired, too long, incomplete). */
  | { exempt: false; note?: string };

export interface ExemptionSubject {
  policyId: string;
  object: KubeObject;
  kind: string;
  namespace: string;
  name: string;
  now: Date;
}

// RFC 3339 with a time zone; Date.parse alone would take "2026-12-01" or "Dec 1" too.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function stringRecord(v: unknown): Record<string, string> {
  if (v === null || typeof v !== 'object') return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function objectLabels(object: KubeObject): Record<string, string> {
  return stringRecord((object.metadata as Record<string, unknown> | undefined)?.labels);
}

export function objectAnnotations(object: KubeObject): Record<string, string> {
  return stringRecord((object.metadata as Record<string, unknown> | undefined)?.annotations);
}

/**
 * One annotation, as objectAnnotations(object)[key] would give it, without copying the whole map: stored objects
 * carry kubectl's last-applied configuration and more, and every policy with findings asks.
 */
function annotation(object: KubeObject, key: string): string | undefined {
  const annotations = (object.metadata as Record<string, unknown> | undefined)?.annotations;
  if (annotations === null || typeof annotations !== 'object' || !Object.hasOwn(annotations, key)) return undefined;
  const value = (annotations as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

/** Does configuration or an annotation exempt this object from this policy, right now? */
export function findExemption(s: ExemptionSubject, config: EngineConfig): ExemptionOutcome {
  let note: string | undefined;
  // Copied only for an exemption that selects by label.
  let labels: Record<string, string> | undefined;
  for (const x of config.exemptions) {
    if (!(x.policies.includes('*') || x.policies.includes(s.policyId))) continue;
    if (!matchesAny(x.namespaces, s.namespace) || !matchesAny(x.names, s.name) || !matchesAny(x.kinds, s.kind))
      continue;
    if (x.labels !== undefined) {
      labels ??= objectLabels(s.object);
      if (!matchesLabels(x.labels, labels)) continue;
    }
    if (x.until !== undefined && x.until.getTime() <= s.now.getTime()) {
      note = `the exemption at ${x.source} expired at ${x.until.toISOString()}`;
      continue;
    }
    return {
      exempt: true,
      by: `configuration (${x.source})`,
      reason: x.reason,
      ...(x.until ? { until: x.until } : {}),
    };
  }
  const annotated = fromAnnotations(s, config);
  if (annotated.exempt) return annotated;
  return { exempt: false, note: annotated.note ?? note };
}

function fromAnnotations(s: ExemptionSubject, config: EngineConfig): ExemptionOutcome {
  const listed = annotation(s.object, EXEMPT_ANNOTATION);
  if (listed === undefined) return { exempt: false };
  const ids = listed.split(',').map((x) => x.trim());
  if (!ids.includes(s.policyId)) return { exempt: false };
  const settings = config.annotationExemptions;
  if (!settings.enabled)
    return { exempt: false, note: `exemption annotations are turned off in meshguard's configuration` };
  if (settings.forbiddenPolicies.includes(s.policyId)) {
    return { exempt: false, note: `policy ${s.policyId} cannot be exempted by annotation; ask the platform team` };
  }
  const untilText = annotation(s.object, EXEMPT_UNTIL_ANNOTATION);
  const reason = annotation(s.object, EXEMPT_REASON_ANNOTATION);
  if (untilText === undefined || !RFC3339.test(untilText) || Number.isNaN(Date.parse(untilText))) {
    return {
      exempt: false,
      note: `exemption ignored: ${EXEMPT_UNTIL_ANNOTATION} must be an RFC 3339 date such as 2026-12-31T00:00:00Z`,
    };
  }
  if (reason === undefined || reason.trim() === '')
    return { exempt: false, note: `exemption ignored: ${EXEMPT_REASON_ANNOTATION} must say why` };
  const until = new Date(untilText);
  if (until.getTime() <= s.now.getTime())
    return { exempt: false, note: `the exemption annotation expired at ${until.toISOString()}` };
  if (until.getTime() - s.now.getTime() > settings.maxDurationMs) {
    return {
      exempt: false,
      note: `exemption ignored: ${EXEMPT_UNTIL_ANNOTATION} ${untilText} is more than ${settings.maxDuration} away (latest allowed: ${new Date(s.now.getTime() + settings.maxDurationMs).toISOString()})`,
    };
  }
  return { exempt: true, by: 'annotation', reason, until };
}
