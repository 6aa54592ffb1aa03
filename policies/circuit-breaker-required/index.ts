import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import { DEFAULT_MESH_DOMAIN_SUFFIXES, isInMeshHost } from '../../src/policy-helpers/hosts';
import {
  asNumber,
  asRecord,
  asRecords,
  asString,
  dig,
  type Json,
  specOf,
} from '../../src/policy-helpers/object-access';
import { portLevelPolicies, subsetLabel, type TrafficPolicyAt } from '../../src/policy-helpers/traffic-policies';

interface Params {
  requireConnectionPool: boolean;
  requireOutlierDetection: boolean;
  meshDomainSuffixes: string[];
}

type Setting = 'connectionPool' | 'outlierDetection';

/** `yes`: the policy provides the setting; `incomplete`: a connectionPool without any limit; `absent`: not there. */
type State = 'yes' | 'incomplete' | 'absent';

/** The connectionPool fields that bound load on the destination; timeouts and keepalives alone are not limits. */
const LIMIT_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['tcp', 'maxConnections'],
  ['http', 'http1MaxPendingRequests'],
  ['http', 'http2MaxRequests'],
];

const LIMIT_NAMES = LIMIT_FIELDS.map(([, name]) => name).join(', ');

function stateOf(policy: Json | undefined, setting: Setting): State {
  const section = asRecord(policy?.[setting]);
  if (section === undefined) return 'absent';
  if (setting === 'outlierDetection') return 'yes';
  const limited = LIMIT_FIELDS.some(([group, name]) => (asNumber(dig(section, group, name)) ?? 0) > 0);
  return limited ? 'yes' : 'incomplete';
}

const HINTS: Record<Setting, string> = {
  connectionPool: `set at least one of ${LIMIT_NAMES}, e.g. tcp.maxConnections: 100 and http.http1MaxPendingRequests: 10 to 50 (the seeds)`,
  outlierDetection:
    'add outlierDetection, e.g. consecutive5xxErrors: 5, interval: 30s, baseEjectionTime: 30s, maxEjectionPercent: 50',
};

function missing(setting: Setting): string {
  return setting === 'connectionPool' ? 'no connectionPool limit' : 'no outlierDetection';
}

const NO_LIMIT = 'sets no limit';

interface Level {
  policy: Json | undefined;
  /** kubectl path of the trafficPolicy (which may not exist yet). */
  path: string;
  where: string;
}

/**
 * Istio merges a subset's policy over the top level field by field (a subset's connectionPool replaces the top
 * level's), while port-level settings replace everything: a port entry without outlierDetection has none.
 */
function checkSetting(spec: Json, host: string, setting: Setting): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  const report = (path: string, message: string) =>
    out.push({ path: `${path}.${setting}`, message, hint: HINTS[setting] });

  const top: Level = { policy: asRecord(spec.trafficPolicy), path: 'spec.trafficPolicy', where: 'the top level' };
  const subsets: Level[] = asRecords(spec.subsets).map((s, i) => ({
    policy: asRecord(s.trafficPolicy),
    path: `spec.subsets[${i}].trafficPolicy`,
    where: subsetLabel(s, i),
  }));
  const topState = stateOf(top.policy, setting);
  const subsetStates = subsets.map((s) => stateOf(s.policy, setting));
  const topOk = topState === 'yes';
  const everySubset = subsets.length > 0 && subsetStates.every((s) => s === 'yes');
  const someSubset = subsetStates.some((s) => s === 'yes');

  if (!topOk && !everySubset && (topState === 'incomplete' || !someSubset)) {
    report(
      top.path,
      topState === 'incomplete'
        ? `connectionPool ${NO_LIMIT}; one is required at the top level or on every subset`
        : `${missing(setting)} for in-mesh host ${host}; required at the top level or on every subset`,
    );
  }
  subsets.forEach((subset, i) => {
    const state = subsetStates[i];
    if (state === 'incomplete') {
      report(subset.path, `${subset.where} connectionPool replaces the top level's and ${NO_LIMIT}; one is required`);
    } else if (state === 'absent' && !topOk && someSubset) {
      report(
        subset.path,
        `${subset.where} has ${missing(setting)} and the top level has none to inherit; one is required`,
      );
    }
  });

  // Port-level settings do not inherit, so each one needs its own. Under a top level that every subset overrides,
  // they only govern traffic that no subset takes, which the top level leaves unprotected too.
  const ports: TrafficPolicyAt[] = [
    ...(everySubset && !topOk ? [] : portLevelPolicies(top.policy, top.path, '')),
    ...subsets.flatMap((s) => portLevelPolicies(s.policy, s.path, `${s.where} `)),
  ];
  for (const port of ports) {
    const state = stateOf(port.policy, setting);
    if (state === 'incomplete') {
      report(port.path, `${port.where} connectionPool ${NO_LIMIT}; port settings inherit nothing, so one is required`);
    } else if (state === 'absent') {
      report(port.path, `${port.where} settings have ${missing(setting)} and inherit none; one is required`);
    }
  }
  return out;
}

export default definePolicy<Params>({
  id: 'circuit-breaker-required',
  summary: 'DestinationRules for in-mesh hosts set connectionPool limits and outlierDetection.',
  appliesTo: [{ group: 'networking.istio.io', kind: 'DestinationRule' }],
  defaultAction: 'warn',
  defaults: {
    requireConnectionPool: true,
    requireOutlierDetection: true,
    meshDomainSuffixes: DEFAULT_MESH_DOMAIN_SUFFIXES,
  },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      requireConnectionPool: { type: 'boolean' },
      requireOutlierDetection: { type: 'boolean' },
      meshDomainSuffixes: { type: 'array', items: { type: 'string', pattern: '^\\.' } },
    },
  },
  check(object, ctx) {
    const spec = specOf(object);
    const host = asString(spec.host);
    if (host === undefined || !isInMeshHost(host, ctx.params.meshDomainSuffixes)) return [];
    const settings: Setting[] = [];
    if (ctx.params.requireConnectionPool) settings.push('connectionPool');
    if (ctx.params.requireOutlierDetection) settings.push('outlierDetection');
    return settings.flatMap((setting) => checkSetting(spec, host, setting));
  },
});
