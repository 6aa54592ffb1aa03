/**
 * PeerAuthentication (security.istio.io): port-level mTLS only with a workload selector (a mesh- or namespace-wide
 * policy has no ports to refer to), not present-but-empty, ports 1..65535.
 */
import { asRecord, type Json } from '../../src/policy-helpers/object-access';
import { validateWorkloadSelector } from './labels';
import { keyPath, type Report } from './report';

export function validatePeerAuthentication(spec: Json, report: Report): void {
  const matchLabels = asRecord(asRecord(spec.selector)?.matchLabels) ?? {};
  const portLevel = asRecord(spec.portLevelMtls);
  const ports = Object.keys(portLevel ?? {});
  if (Object.keys(matchLabels).length === 0 && ports.length > 0) {
    report.error('spec.portLevelMtls', 'mesh/namespace peer authentication cannot have port level mTLS');
  }
  if (portLevel !== undefined && ports.length === 0) {
    report.error('spec.portLevelMtls', 'port level mTLS, if defined, must have at least one element');
  }
  for (const port of ports) {
    const n = /^[0-9]+$/.test(port) ? Number(port) : Number.NaN;
    if (!(n >= 1 && n <= 65535)) report.error(keyPath('spec.portLevelMtls', port), 'port must be in range 1..65535');
  }
  validateWorkloadSelector(spec.selector, 'spec.selector', report);
}
