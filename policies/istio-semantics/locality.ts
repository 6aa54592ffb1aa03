/**
 * Locality load balancing (`localityLbSetting`: weighted `distribute` or `failover` between regions, optionally
 * ordered by `failoverPriority` labels) and zone-aware load balancing (`zoneAwareLbSetting`).
 */
import { asArray, asNumber, asRecord, asRecords, asString } from '../../src/policy-helpers/object-access';
import type { Report } from './report';

const TOPOLOGY_LABELS = new Set([
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.istio.io/subzone',
]);

/** `region`, `region/zone` or `region/zone/subzone`, with at most one `*`, at the end; no two entries overlapping. */
function validateLocalities(localities: string[]): string | undefined {
  // region -> zone -> subzone; `*` marks "everything below".
  const tree = new Map<string, Map<string, Set<string>>>();
  for (const locality of localities) {
    const stars = locality.split('*').length - 1;
    if (stars > 1 || (stars === 1 && !locality.endsWith('*'))) {
      return `locality ${locality} wildcard '*' number can not exceed 1 and must be in the end`;
    }
    if (tree.has('*')) return `locality ${locality} overlap with previous specified ones`;
    const items = splitN(locality, '/', 3);
    if (items.some((i) => i === '')) return `locality ${locality} must not contain empty region/zone/subzone info`;
    const [region = '', zone = '', subzone = ''] = items;
    const overlap = `locality ${locality} overlap with previous specified ones`;
    const zones = tree.get(region);
    if (items.length === 1) {
      if (zones !== undefined) return overlap;
      tree.set(region, new Map([['*', new Set(['*'])]]));
    } else if (items.length === 2) {
      if (zones === undefined) tree.set(region, new Map([[zone, new Set(['*'])]]));
      else {
        if (zones.has('*') || zones.has(zone)) return overlap;
        zones.set(zone, new Set(['*']));
      }
    } else if (zones === undefined) {
      tree.set(region, new Map([[zone, new Set([subzone])]]));
    } else {
      if (zones.has('*')) return overlap;
      const subzones = zones.get(zone);
      if (subzones === undefined) zones.set(zone, new Set([subzone]));
      else {
        if (subzones.has('*') || subzones.has(subzone)) return overlap;
        subzones.add(subzone);
      }
    }
  }
  return undefined;
}

/** strings.SplitN. */
function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function validateFailover(failover: unknown, path: string, report: Report): void {
  asRecords(failover).forEach((f, i) => {
    const at = `${path}[${i}]`;
    const from = asString(f.from) ?? '';
    const to = asString(f.to) ?? '';
    if (from === to) report.error(at, 'locality lb failover settings must specify different regions');
    if (from.includes('/') || to.includes('/')) report.error(at, 'locality lb failover only specify region');
    if (from.includes('*') || to.includes('*'))
      report.error(at, "locality lb failover region should not contain '*' wildcard");
  });
}

const present = (v: unknown): boolean => v !== undefined && v !== null;

export function validateLocalityLbSetting(setting: unknown, outlier: unknown, path: string, report: Report): void {
  const s = asRecord(setting);
  if (s === undefined) return;
  const distribute = asRecords(s.distribute);
  const failover = asArray(s.failover);
  const priority = asArray(s.failoverPriority).map((p) => asString(p) ?? '');
  if (distribute.length > 0 && failover.length > 0) {
    report.error(path, "can not simultaneously specify 'distribute' and 'failover'");
    return;
  }
  if (failover.length > 0) {
    const topology = priority.find((p) => TOPOLOGY_LABELS.has(p));
    if (topology !== undefined) {
      report.error(
        `${path}.failoverPriority`,
        `can not simultaneously set 'failover' and topology label '${topology}' in 'failover_priority'`,
      );
      return;
    }
  }
  const sources: string[] = [];
  for (let i = 0; i < distribute.length; i++) {
    const d = distribute[i] ?? {};
    const at = `${path}.distribute[${i}]`;
    sources.push(asString(d.from) ?? '');
    let total = 0;
    const destinations: string[] = [];
    for (const [locality, weight] of Object.entries(asRecord(d.to) ?? {})) {
      destinations.push(locality);
      const w = asNumber(weight) ?? 0;
      if (w <= 0 || w > 100) {
        report.error(`${at}.to[${locality}]`, 'locality weight must be in range [1, 100]');
        return;
      }
      total += w;
    }
    if (total !== 100) {
      report.error(`${at}.to`, `total locality weight ${total} != 100`);
      return;
    }
    report.errorIf(`${at}.to`, validateLocalities(destinations));
  }
  report.errorIf(`${path}.distribute`, validateLocalities(sources));
  if ((failover.length > 0 || priority.length > 0) && !present(outlier)) {
    report.warn(path, 'outlier detection policy must be provided for failover');
  }
  validateFailover(s.failover, `${path}.failover`, report);
}

/**
 * Zone-aware load balancing keeps traffic in the caller's zone by itself: failover is between regions (as for
 * locality load balancing), and `failoverPriority` may not re-order by the topology labels it already uses.
 */
export function validateZoneAwareLbSetting(setting: unknown, outlier: unknown, path: string, report: Report): void {
  const s = asRecord(setting);
  if (s === undefined) return;
  const failover = asArray(s.failover);
  const priority = asArray(s.failoverPriority).map((p) => asString(p) ?? '');
  priority.forEach((p, i) => {
    if (TOPOLOGY_LABELS.has(p)) {
      report.error(
        `${path}.failoverPriority[${i}]`,
        `topology label '${p}' can not be set in 'failover_priority' of zoneAwareLbSetting`,
      );
    }
  });
  if ((failover.length > 0 || priority.length > 0) && !present(outlier)) {
    report.warn(path, 'outlier detection policy must be provided for failover');
  }
  validateFailover(s.failover, `${path}.failover`, report);
}
