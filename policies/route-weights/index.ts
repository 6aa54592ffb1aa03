import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import { asNumber, asRecords, type Json, specOf } from '../../src/policy-helpers/object-access';

interface Params {
  requiredTotal: number;
}

/** The three rule lists of a VirtualService whose rules forward to weighted destinations. */
const ROUTE_SECTIONS = ['http', 'tcp', 'tls'] as const;

interface Destination {
  path: string;
  weight: number | undefined;
}

function destinationsOf(rule: Json, rulePath: string): Destination[] {
  return asRecords(rule.route).map((d, j) => ({ path: `${rulePath}.route[${j}]`, weight: asNumber(d.weight) }));
}

function describeWeights(dests: Destination[]): string {
  return dests.map((d) => (d.weight === undefined ? 'unset=0' : String(d.weight))).join(' + ');
}

/** Negative weights: Istio's own validation rejects them, and they make any sum meaningless. */
function checkNegative(dests: Destination[]): PolicyFinding[] {
  return dests
    .filter((d) => d.weight !== undefined && d.weight < 0)
    .map((d) => ({
      path: `${d.path}.weight`,
      message: `weight is ${d.weight}; weights are 0 or more`,
      hint: 'set a weight of 0 or more',
    }));
}

/** Some weights set and some not: Istio reads an unset weight as 0, so that destination silently gets no traffic. */
function checkMixed(dests: Destination[], params: Params): PolicyFinding[] {
  if (dests.every((d) => d.weight === undefined) || dests.every((d) => d.weight !== undefined)) return [];
  return dests
    .filter((d) => d.weight === undefined)
    .map((d) => ({
      path: `${d.path}.weight`,
      message:
        'weight is not set while other destinations set one; Istio reads it as 0, so this destination gets no traffic',
      hint: `give every destination of this route a weight, the weights summing to ${params.requiredTotal}`,
    }));
}

function checkTotal(dests: Destination[], routePath: string, params: Params): PolicyFinding[] {
  const total = dests.reduce((sum, d) => sum + (d.weight ?? 0), 0);
  if (total === params.requiredTotal) return [];
  const noneSet = dests.every((d) => d.weight === undefined);
  return [
    {
      path: routePath,
      message: noneSet
        ? `no weight set on ${dests.length} destinations (total 0, which Istio rejects); they must sum to ${params.requiredTotal}`
        : `weights sum to ${total} (${describeWeights(dests)}); with several destinations they must sum to ${params.requiredTotal}`,
      hint: `adjust the weights so they add up to ${params.requiredTotal}, e.g. 90 and 10 for a canary`,
    },
  ];
}

/** One destination gets all traffic whatever its weight; a weight other than the total misleads the reader. */
function checkSingle(dest: Destination, params: Params): PolicyFinding[] {
  if (dest.weight === undefined || dest.weight === params.requiredTotal) return [];
  return [
    {
      path: `${dest.path}.weight`,
      message: `weight is ${dest.weight} on the only destination, which gets all traffic anyway; expected no weight or ${params.requiredTotal}`,
      hint: `remove the weight or set it to ${params.requiredTotal}; add a second destination to split traffic`,
      severity: 'warning',
    },
  ];
}

function checkRoute(dests: Destination[], routePath: string, params: Params): PolicyFinding[] {
  if (dests.length === 0) return [];
  const [only] = dests;
  if (dests.length === 1 && only) return [...checkNegative(dests), ...checkSingle(only, params)];
  return [...checkNegative(dests), ...checkMixed(dests, params), ...checkTotal(dests, routePath, params)];
}

export default definePolicy<Params>({
  id: 'route-weights',
  summary: 'VirtualService routes with several destinations set every weight, and the weights sum to 100.',
  appliesTo: [{ group: 'networking.istio.io', kind: 'VirtualService' }],
  defaultAction: 'warn',
  defaults: { requiredTotal: 100 },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      requiredTotal: { type: 'integer', minimum: 1 },
    },
  },
  check(object, ctx) {
    const spec = specOf(object);
    const out: PolicyFinding[] = [];
    for (const section of ROUTE_SECTIONS) {
      asRecords(spec[section]).forEach((rule, i) => {
        const rulePath = `spec.${section}[${i}]`;
        out.push(...checkRoute(destinationsOf(rule, rulePath), `${rulePath}.route`, ctx.params));
      });
    }
    return out;
  },
});
