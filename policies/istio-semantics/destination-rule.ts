/**
 * DestinationRule (networking.istio.io): the host, traffic policies at every level, uniquely named subsets with
 * valid labels, exportTo (a rule with a workload selector stays in its own namespace) and the workload selector.
 */
import { asArray, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { validateExportTo } from './export-to';
import { validateWildcardDomain } from './hosts';
import { validateSubsetName } from './http-route';
import { validateLabels, validateWorkloadSelector } from './labels';
import type { Report } from './report';
import { validateTrafficPolicy } from './traffic-policy';

export function validateDestinationRule(spec: Json, namespace: string, report: Report): void {
  report.errorIf('spec.host', validateWildcardDomain(asString(spec.host) ?? ''));
  validateTrafficPolicy(spec.trafficPolicy, 'spec.trafficPolicy', report);
  const names = new Set<string>();
  asArray(spec.subsets).forEach((entry, i) => {
    const at = `spec.subsets[${i}]`;
    const subset = asRecord(entry);
    if (subset === undefined) {
      report.error(at, 'subset may not be null');
      return;
    }
    const name = asString(subset.name) ?? '';
    if (names.has(name)) report.error(`${at}.name`, `duplicate subset names: ${name}`);
    names.add(name);
    report.errorIf(`${at}.name`, validateSubsetName(name));
    validateLabels(subset.labels, `${at}.labels`, report);
    validateTrafficPolicy(subset.trafficPolicy, `${at}.trafficPolicy`, report);
  });
  validateExportTo(namespace, spec.exportTo, 'spec.exportTo', report, {
    destinationRuleWithSelector: spec.workloadSelector !== undefined && spec.workloadSelector !== null,
  });
  validateWorkloadSelector(spec.workloadSelector, 'spec.workloadSelector', report);
}
