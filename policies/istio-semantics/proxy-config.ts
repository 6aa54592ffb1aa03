/** ProxyConfig (networking.istio.io): the workload selector and a non-negative concurrency. */
import { asNumber, type Json } from '../../src/policy-helpers/object-access';
import { validateWorkloadSelector } from './labels';
import type { Report } from './report';

export function validateProxyConfig(spec: Json, report: Report): void {
  validateWorkloadSelector(spec.selector, 'spec.selector', report);
  if ((asNumber(spec.concurrency) ?? 0) < 0)
    report.error('spec.concurrency', 'concurrency must be greater than or equal to 0');
}
