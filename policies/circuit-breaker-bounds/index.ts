import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import { durationSeconds } from '../../src/policy-helpers/durations';
import { asNumber, asRecord, asString, digPath, type Json, specOf } from '../../src/policy-helpers/object-access';
import { trafficPolicies } from '../../src/policy-helpers/traffic-policies';

/** An inclusive range for a count field; either end may be left out. */
interface CountBound {
  min?: number;
  max?: number;
}

/** An inclusive range for a duration field, in Istio's duration syntax (`1s`, `5m`). */
interface DurationBound {
  min?: string;
  max?: string;
}

interface Params {
  maxConnections: CountBound;
  connectTimeout: DurationBound;
  tcpIdleTimeout: DurationBound;
  keepaliveTime: DurationBound;
  keepaliveInterval: DurationBound;
  keepaliveProbes: CountBound;
  http1MaxPendingRequests: CountBound;
  http2MaxRequests: CountBound;
  maxRequestsPerConnection: CountBound;
  maxRetries: CountBound;
  httpIdleTimeout: DurationBound;
  maxConcurrentStreams: CountBound;
  consecutive5xxErrors: CountBound;
  consecutiveGatewayErrors: CountBound;
  consecutiveLocalOriginFailures: CountBound;
  interval: DurationBound;
  baseEjectionTime: DurationBound;
  maxEjectionPercent: CountBound;
  minHealthPercent: CountBound;
  maxEjectionPercentWithoutMinHealth: number;
}

type CountParam = { [K in keyof Params]: Params[K] extends CountBound ? K : never }[keyof Params];
type DurationParam = { [K in keyof Params]: Params[K] extends DurationBound ? K : never }[keyof Params];

const DEFAULTS: Params = {
  maxConnections: { min: 1, max: 10000 },
  connectTimeout: { min: '10ms', max: '1m' },
  tcpIdleTimeout: { min: '1s', max: '24h' },
  keepaliveTime: { min: '1s', max: '2h' },
  keepaliveInterval: { min: '1s', max: '5m' },
  keepaliveProbes: { min: 1, max: 20 },
  http1MaxPendingRequests: { min: 1, max: 10000 },
  http2MaxRequests: { min: 1, max: 100000 },
  maxRequestsPerConnection: { min: 1, max: 10000 },
  maxRetries: { min: 1, max: 10000 },
  httpIdleTimeout: { min: '1s', max: '24h' },
  maxConcurrentStreams: { min: 1, max: 100000 },
  consecutive5xxErrors: { min: 1, max: 100 },
  consecutiveGatewayErrors: { min: 1, max: 100 },
  consecutiveLocalOriginFailures: { min: 1, max: 100 },
  interval: { min: '1s', max: '5m' },
  baseEjectionTime: { min: '1s', max: '1h' },
  maxEjectionPercent: { min: 1, max: 100 },
  minHealthPercent: { min: 0, max: 90 },
  maxEjectionPercentWithoutMinHealth: 50,
};

/**
 * What an explicit 0 means to Istio: `unlimited` (Istio only copies values above 0, so the limit stays at 2^32-1),
 * `off` (the feature is switched off), or `default` (the field's documented default, which is harmless to spell out).
 */
type Zero = { means: 'unlimited' | 'off'; text: string } | { means: 'default' };

interface CountField {
  kind: 'count';
  keys: readonly string[];
  param: CountParam;
  zero: Zero;
}

interface DurationField {
  kind: 'duration';
  keys: readonly string[];
  param: DurationParam;
  zero?: Zero;
}

type Field = CountField | DurationField;

const DEFAULT_ZERO: Zero = { means: 'default' };

/** Every bounded field of `connectionPool`, relative to it. */
const CONNECTION_POOL_FIELDS: readonly Field[] = [
  {
    kind: 'count',
    keys: ['tcp', 'maxConnections'],
    param: 'maxConnections',
    zero: { means: 'unlimited', text: 'which Istio reads as unset (no limit)' },
  },
  { kind: 'duration', keys: ['tcp', 'connectTimeout'], param: 'connectTimeout' },
  {
    kind: 'duration',
    keys: ['tcp', 'idleTimeout'],
    param: 'tcpIdleTimeout',
    zero: { means: 'off', text: 'which turns the idle timeout off' },
  },
  { kind: 'duration', keys: ['tcp', 'tcpKeepalive', 'time'], param: 'keepaliveTime' },
  { kind: 'duration', keys: ['tcp', 'tcpKeepalive', 'interval'], param: 'keepaliveInterval' },
  { kind: 'count', keys: ['tcp', 'tcpKeepalive', 'probes'], param: 'keepaliveProbes', zero: DEFAULT_ZERO },
  {
    kind: 'count',
    keys: ['http', 'http1MaxPendingRequests'],
    param: 'http1MaxPendingRequests',
    zero: { means: 'unlimited', text: 'which Istio reads as unset (no limit)' },
  },
  {
    kind: 'count',
    keys: ['http', 'http2MaxRequests'],
    param: 'http2MaxRequests',
    zero: { means: 'unlimited', text: 'which Istio reads as unset (no limit)' },
  },
  { kind: 'count', keys: ['http', 'maxRequestsPerConnection'], param: 'maxRequestsPerConnection', zero: DEFAULT_ZERO },
  {
    kind: 'count',
    keys: ['http', 'maxRetries'],
    param: 'maxRetries',
    zero: { means: 'unlimited', text: 'which Istio reads as unset (unlimited retries, not "no retries")' },
  },
  { kind: 'duration', keys: ['http', 'idleTimeout'], param: 'httpIdleTimeout' },
  { kind: 'count', keys: ['http', 'maxConcurrentStreams'], param: 'maxConcurrentStreams', zero: DEFAULT_ZERO },
];

/**
 * Every bounded field of `outlierDetection`. consecutive5xxErrors: 0 is judged separately (it is off only when
 * nothing else ejects); consecutiveGatewayErrors: 0 is Istio's default (off), so spelling it out changes nothing.
 */
const OUTLIER_FIELDS: readonly Field[] = [
  { kind: 'count', keys: ['consecutive5xxErrors'], param: 'consecutive5xxErrors', zero: DEFAULT_ZERO },
  { kind: 'count', keys: ['consecutiveGatewayErrors'], param: 'consecutiveGatewayErrors', zero: DEFAULT_ZERO },
  {
    kind: 'count',
    keys: ['consecutiveLocalOriginFailures'],
    param: 'consecutiveLocalOriginFailures',
    zero: DEFAULT_ZERO,
  },
  { kind: 'duration', keys: ['interval'], param: 'interval' },
  { kind: 'duration', keys: ['baseEjectionTime'], param: 'baseEjectionTime' },
  { kind: 'count', keys: ['maxEjectionPercent'], param: 'maxEjectionPercent', zero: DEFAULT_ZERO },
  { kind: 'count', keys: ['minHealthPercent'], param: 'minHealthPercent', zero: DEFAULT_ZERO },
];

/** Envoy's consecutive_5xx when Istio leaves it unset. */
const ENVOY_DEFAULT_CONSECUTIVE_5XX = 5;

/** The configured bound for a field, end by end: the engine merges parameters shallowly, so `{max: 50000}` keeps min. */
function countBound(params: Params, param: CountParam): CountBound {
  return { ...DEFAULTS[param], ...(params[param] ?? {}) };
}

function durationBound(params: Params, param: DurationParam): DurationBound {
  return { ...DEFAULTS[param], ...(params[param] ?? {}) };
}

/** `1 to 10000`, `at most 5m`, `at least 1s`. */
function rangeText(min: string | number | undefined, max: string | number | undefined): string {
  if (min !== undefined && max !== undefined) return `${min} to ${max}`;
  if (max !== undefined) return `at most ${max}`;
  return `at least ${min}`;
}

function describeRange(min: string | number | undefined, max: string | number | undefined): string {
  return `allowed ${rangeText(min, max)}`;
}

function fieldName(keys: readonly string[]): string {
  return keys[keys.length - 1] ?? '';
}

function checkCount(value: number, field: CountField, bound: CountBound, path: string): PolicyFinding | undefined {
  const name = fieldName(field.keys);
  const range = describeRange(bound.min, bound.max);
  if (value <= 0 && field.zero.means !== 'default') {
    return {
      path,
      message: `${name} is ${value}, ${field.zero.text}; ${range}`,
      hint: `set ${name} to a real limit (${rangeText(bound.min, bound.max)}), or remove it`,
    };
  }
  if (value === 0 && field.zero.means === 'default') return undefined;
  if ((bound.min !== undefined && value < bound.min) || (bound.max !== undefined && value > bound.max)) {
    return {
      path,
      message: `${name} is ${value}; ${range}`,
      hint: `set ${name} to ${rangeText(bound.min, bound.max)}`,
    };
  }
  return undefined;
}

function checkDuration(
  raw: string,
  field: DurationField,
  bound: DurationBound,
  path: string,
): PolicyFinding | undefined {
  const seconds = durationSeconds(raw);
  if (seconds === undefined) return undefined; // unparsable: the schema policy reports it
  const name = fieldName(field.keys);
  const range = describeRange(bound.min, bound.max);
  if (seconds === 0 && field.zero && field.zero.means !== 'default') {
    return {
      path,
      message: `${name} is ${raw}, ${field.zero.text}; ${range}`,
      hint: `set ${name} to ${rangeText(bound.min, bound.max)}, or remove it for Istio's default`,
    };
  }
  const min = durationSeconds(bound.min);
  const max = durationSeconds(bound.max);
  if ((min !== undefined && seconds < min) || (max !== undefined && seconds > max)) {
    return { path, message: `${name} is ${raw}; ${range}`, hint: `set ${name} to ${rangeText(bound.min, bound.max)}` };
  }
  return undefined;
}

/** Each field's path below its section (`tcp.maxConnections`), joined once. */
const FIELD_PATHS: ReadonlyMap<Field, string> = new Map(
  [...CONNECTION_POOL_FIELDS, ...OUTLIER_FIELDS].map((f) => [f, f.keys.join('.')]),
);

/** Most fields are absent: their bounds are merged and their paths built only for a value that is there. */
function checkField(section: Json, base: string, field: Field, params: Params): PolicyFinding | undefined {
  const value = digPath(section, field.keys);
  if (field.kind === 'count') {
    const n = asNumber(value);
    return n === undefined
      ? undefined
      : checkCount(n, field, countBound(params, field.param), `${base}.${FIELD_PATHS.get(field)}`);
  }
  const s = asString(value);
  return s === undefined
    ? undefined
    : checkDuration(s, field, durationBound(params, field.param), `${base}.${FIELD_PATHS.get(field)}`);
}

function checkFields(section: Json, base: string, fields: readonly Field[], params: Params): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  for (const field of fields) {
    const finding = checkField(section, base, field, params);
    if (finding !== undefined) out.push(finding);
  }
  return out;
}

/** consecutive5xxErrors: 0 turns 5xx ejection off; harmless only when gateway or local-origin errors still eject. */
function checkEjectionDisabled(od: Json, base: string, params: Params): PolicyFinding[] {
  if (asNumber(od.consecutive5xxErrors) !== 0) return [];
  const gateway = asNumber(od.consecutiveGatewayErrors) ?? 0;
  const localOrigin = od.splitExternalLocalOriginErrors === true && asNumber(od.consecutiveLocalOriginFailures) !== 0;
  if (gateway > 0 || localOrigin) return [];
  const bound = countBound(params, 'consecutive5xxErrors');
  return [
    {
      path: `${base}.consecutive5xxErrors`,
      message: `consecutive5xxErrors is 0 (5xx ejection off) and no consecutiveGatewayErrors is set, so nothing is ejected; ${describeRange(bound.min, bound.max)}`,
      hint: 'set consecutive5xxErrors (the seeds use 3 to 5), or set consecutiveGatewayErrors to eject only on 502/503/504',
    },
  ];
}

/** Istio: gateway errors are also 5xx errors, so consecutiveGatewayErrors >= consecutive5xxErrors never fires first. */
function checkGatewayShadowed(od: Json, base: string): PolicyFinding[] {
  const gateway = asNumber(od.consecutiveGatewayErrors);
  const fiveXx = asNumber(od.consecutive5xxErrors) ?? ENVOY_DEFAULT_CONSECUTIVE_5XX;
  if (gateway === undefined || gateway <= 0 || fiveXx <= 0 || gateway < fiveXx) return [];
  const source = od.consecutive5xxErrors === undefined ? ' (the default)' : '';
  return [
    {
      path: `${base}.consecutiveGatewayErrors`,
      message: `consecutiveGatewayErrors is ${gateway}, not below consecutive5xxErrors ${fiveXx}${source}, so it has no effect; below ${fiveXx} is expected`,
      hint: `set consecutiveGatewayErrors below ${fiveXx} or remove it`,
      severity: 'warning',
    },
  ];
}

/** Ejecting most of the pool without a panic threshold sends all traffic to the few hosts left (or to none). */
function checkEjectionShare(od: Json, base: string, params: Params): PolicyFinding[] {
  const percent = asNumber(od.maxEjectionPercent);
  const limit = params.maxEjectionPercentWithoutMinHealth;
  if (percent === undefined || percent <= limit || (asNumber(od.minHealthPercent) ?? 0) > 0) return [];
  return [
    {
      path: `${base}.maxEjectionPercent`,
      message: `maxEjectionPercent is ${percent} with no minHealthPercent; at most ${limit} unless minHealthPercent is set`,
      hint: `lower maxEjectionPercent to ${limit} or set minHealthPercent (the seeds use 50 with minHealthPercent 40)`,
    },
  ];
}

function checkDeprecated(od: Json, base: string): PolicyFinding[] {
  const old = asNumber(od.consecutiveErrors);
  if (od.consecutiveErrors === undefined) return [];
  return [
    {
      path: `${base}.consecutiveErrors`,
      message: `consecutiveErrors${old === undefined ? '' : ` (${old})`} is deprecated and current Istio ignores it; consecutive5xxErrors replaces it`,
      hint: `replace consecutiveErrors with consecutive5xxErrors${old === undefined ? '' : `: ${old}`} (or consecutiveGatewayErrors to count only 502/503/504, as consecutiveErrors did)`,
      severity: 'warning',
    },
  ];
}

function checkOutlierDetection(od: Json, base: string, params: Params): PolicyFinding[] {
  return [
    ...checkFields(od, base, OUTLIER_FIELDS, params),
    ...checkEjectionDisabled(od, base, params),
    ...checkGatewayShadowed(od, base),
    ...checkEjectionShare(od, base, params),
    ...checkDeprecated(od, base),
  ];
}

const GO_DURATION = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';
const countSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { min: { type: 'integer', minimum: 0 }, max: { type: 'integer', minimum: 0 } },
};
const durationSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { min: { type: 'string', pattern: GO_DURATION }, max: { type: 'string', pattern: GO_DURATION } },
};

export default definePolicy<Params>({
  id: 'circuit-breaker-bounds',
  summary:
    'DestinationRule connectionPool and outlierDetection values stay within sane bounds: no disabled breakers, no absurd limits.',
  appliesTo: [{ group: 'networking.istio.io', kind: 'DestinationRule' }],
  defaultAction: 'deny',
  defaults: DEFAULTS,
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...Object.fromEntries(
        [...CONNECTION_POOL_FIELDS, ...OUTLIER_FIELDS].map((f) => [
          f.param,
          f.kind === 'count' ? countSchema : durationSchema,
        ]),
      ),
      maxEjectionPercentWithoutMinHealth: { type: 'integer', minimum: 0, maximum: 100 },
    },
  },
  check(object, ctx) {
    const out: PolicyFinding[] = [];
    for (const { path, policy } of trafficPolicies(specOf(object))) {
      const pool = asRecord(policy.connectionPool);
      if (pool) out.push(...checkFields(pool, `${path}.connectionPool`, CONNECTION_POOL_FIELDS, ctx.params));
      const od = asRecord(policy.outlierDetection);
      if (od) out.push(...checkOutlierDetection(od, `${path}.outlierDetection`, ctx.params));
    }
    return out;
  },
});
