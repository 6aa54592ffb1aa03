import { matchesPattern } from '../../src/engine/name-patterns';
import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import { asRecord, asRecords, type Json, specOf } from '../../src/policy-helpers/object-access';

interface Params {
  allowedNamespaces: string[];
}

/**
 * Header names that describe where a request goes rather than who sent it: every request carries them, so a
 * condition on them does not confine a fault to test traffic. (`:authority`, `:method`, `:path`, `:scheme`, `host`.)
 */
function isRequestTargetHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n.startsWith(':') || n === 'host';
}

/** A match entry gates the route when it requires at least one header that real clients do not send by default. */
function gatingHeaders(match: Json): string[] {
  return Object.keys(asRecord(match.headers) ?? {}).filter((h) => !isRequestTargetHeader(h));
}

/** Why the route's faults can reach real traffic, or undefined when every match entry is gated by a header. */
function ungatedReason(rule: Json): string | undefined {
  const matches = asRecords(rule.match);
  if (matches.length === 0) return 'the route has no match, so it applies to every request';
  const open = matches.findIndex((m) => gatingHeaders(m).length === 0);
  if (open === -1) return undefined;
  const headers = Object.keys(asRecord(matches[open]?.headers) ?? {});
  return headers.length === 0
    ? `match[${open}] has no header condition, so real traffic matches it`
    : `match[${open}] only checks ${headers.join(', ')}, which every request carries`;
}

function describeFault(fault: Json): string | undefined {
  const kinds = ['delay', 'abort'].filter((k) => asRecord(fault[k]) !== undefined);
  return kinds.length === 0 ? undefined : `fault injects ${kinds.join(' and ')}`;
}

function allowedWhere(params: Params): string {
  return params.allowedNamespaces.length === 0
    ? 'faults are allowed only on routes whose every match requires a test header'
    : `faults are allowed only on header-gated routes or in namespaces ${params.allowedNamespaces.join(', ')}`;
}

function checkRule(rule: Json, base: string, params: Params): PolicyFinding[] {
  const fault = asRecord(rule.fault);
  const what = fault && describeFault(fault);
  if (what === undefined) return [];
  const reason = ungatedReason(rule);
  if (reason === undefined) return [];
  return [
    {
      path: `${base}.fault`,
      message: `${what}, but ${reason}; ${allowedWhere(params)}`,
      hint: 'add a header condition to every match entry (e.g. headers: {x-chaos-test: {exact: "true"}}) or remove the fault',
    },
  ];
}

export default definePolicy<Params>({
  id: 'fault-injection',
  summary: 'VirtualService fault injection only on routes gated by a header match, or in namespaces meant for it.',
  appliesTo: [{ group: 'networking.istio.io', kind: 'VirtualService' }],
  defaultAction: 'deny',
  defaults: { allowedNamespaces: [] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      allowedNamespaces: { type: 'array', items: { type: 'string', minLength: 1 } },
    },
  },
  check(object, ctx) {
    if (ctx.params.allowedNamespaces.some((p) => matchesPattern(p, ctx.namespace))) return [];
    return asRecords(specOf(object).http).flatMap((rule, i) => checkRule(rule, `spec.http[${i}]`, ctx.params));
  },
});
