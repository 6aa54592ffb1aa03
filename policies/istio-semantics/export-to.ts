/**
 * `exportTo` (VirtualService, DestinationRule, ServiceEntry): `.` (this namespace), `*` (every namespace), namespace
 * names, and for ServiceEntry only `~` (nobody). No duplicates (`.` counts as the object's own namespace), `*` or `~`
 * only alone, and a DestinationRule with a workload selector may only be visible in its own namespace.
 */
import { asArray } from '../../src/policy-helpers/object-access';
import { isDNS1123Label } from './hosts';
import type { Report } from './report';

function visibilityError(entry: string): string | undefined {
  if (entry === '.' || entry === '*') return undefined;
  if (entry === '~') return 'exportTo ~ (none) is not allowed for Istio configuration objects';
  return isDNS1123Label(entry) ? undefined : 'only .,*, or a valid DNS 1123 label is allowed as exportTo entry';
}

export interface ExportToOptions {
  isServiceEntry?: boolean;
  destinationRuleWithSelector?: boolean;
}

export function validateExportTo(
  namespace: string,
  exportTo: unknown,
  path: string,
  report: Report,
  options: ExportToOptions = {},
): void {
  const entries = asArray(exportTo).map((e) => (typeof e === 'string' ? e : String(e)));
  if (entries.length === 0) return;
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    const at = `${path}[${i}]`;
    const key = e === '.' ? namespace : e;
    if (seen.has(key)) {
      report.error(
        at,
        key !== e
          ? `duplicate entries in exportTo: . and current namespace ${namespace}`
          : `duplicate entries in exportTo for entry ${e}`,
      );
      return;
    }
    if (options.isServiceEntry && e === '~') {
      seen.add(key);
      return;
    }
    const problem = visibilityError(key);
    if (problem !== undefined) report.error(at, problem);
    else seen.add(key);
  });

  if (options.destinationRuleWithSelector && seen.size > 0) {
    if (!seen.has(namespace)) {
      report.error(path, 'destination rule with workload selector cannot have exportTo beyond current namespace');
    } else if (seen.size > 1) {
      report.error(path, 'destination rule with workload selector cannot have multiple entries in exportTo');
    }
  }
  if (seen.has('*') && entries.length > 1) {
    report.error(path, 'cannot have both public (*) and non-public exportTo values for a resource');
  }
  if (seen.has('~') && entries.length > 1) report.error(path, 'cannot export service entry to no one (~) and someone');
}
