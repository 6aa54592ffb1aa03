import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import { asArray, asRecords, asString, type Json, specOf } from '../../src/policy-helpers/object-access';

interface Params {
  requireAudiences: boolean;
  allowInlineJwks: boolean;
}

/** Both spellings the CRD accepts for the key set URL (`jwks_uri` is the proto name, still served). */
const JWKS_URI_FIELDS = ['jwksUri', 'jwks_uri'] as const;

const MAX_SHOWN = 80;

/** A URL as messages show it: long ones shortened, so a warning line stays readable. */
function shown(url: string): string {
  return url.length <= MAX_SHOWN ? url : `${url.slice(0, MAX_SHOWN - 1)}…`;
}

function isHttps(url: string): boolean {
  return /^https:\/\//i.test(url.trim());
}

function nonBlank(v: unknown): string | undefined {
  const s = asString(v);
  return s !== undefined && s.trim() !== '' ? s : undefined;
}

function checkKeySource(rule: Json, base: string, issuer: string | undefined, params: Params): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  let hasUri = false;
  for (const field of JWKS_URI_FIELDS) {
    const uri = nonBlank(rule[field]);
    if (uri === undefined) continue;
    hasUri = true;
    if (!isHttps(uri)) {
      out.push({
        path: `${base}.${field}`,
        message: `${field} is ${shown(uri)}; only https:// is allowed (keys fetched in plaintext can be replaced, and forged tokens accepted)`,
        hint: `serve the key set over TLS and set ${field}: https://…`,
      });
    }
  }
  const inline = nonBlank(rule.jwks) !== undefined;
  if (inline && !params.allowInlineJwks) {
    out.push({
      path: `${base}.jwks`,
      message:
        'jwks holds the key set inline; this cluster requires jwksUri (https) so that key rotation needs no edit',
      hint: "remove jwks and set jwksUri to the issuer's https key set URL",
    });
  }
  // Neither: Istio discovers the key set from `<issuer>/.well-known/openid-configuration`.
  if (!hasUri && !inline && issuer !== undefined && /^http:\/\//i.test(issuer.trim())) {
    out.push({
      path: `${base}.issuer`,
      message: `issuer is ${shown(issuer)} and no jwksUri or jwks is set, so keys are discovered over plaintext; https is required`,
      hint: 'set jwksUri to an https:// key set URL (or use the https issuer URL)',
    });
  }
  return out;
}

function checkRule(rule: Json, i: number, params: Params): PolicyFinding[] {
  const base = `spec.jwtRules[${i}]`;
  const out: PolicyFinding[] = [];
  const issuer = nonBlank(rule.issuer);
  if (issuer === undefined) {
    out.push({
      path: `${base}.issuer`,
      message: 'issuer is not set; every JWT rule must name the issuer whose tokens it accepts (the iss claim)',
      hint: 'set issuer to the identity provider, e.g. https://accounts.example.com',
    });
  }
  out.push(...checkKeySource(rule, base, issuer, params));
  if (params.requireAudiences && asArray(rule.audiences).length === 0) {
    out.push({
      path: `${base}.audiences`,
      message: `audiences is ${rule.audiences === undefined ? 'not set' : 'empty'}, so the aud claim is not checked and a token minted for another service is accepted; at least one audience is required`,
      hint: 'list the audiences (aud claim) of the tokens meant for this workload, e.g. audiences: ["payments-api"]',
    });
  }
  return out;
}

export default definePolicy<Params>({
  id: 'jwt-rules',
  summary: 'RequestAuthentication JWT rules name their issuer and audiences and fetch keys over https.',
  appliesTo: [{ group: 'security.istio.io', kind: 'RequestAuthentication' }],
  defaultAction: 'deny',
  defaults: { requireAudiences: true, allowInlineJwks: true },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      requireAudiences: { type: 'boolean' },
      allowInlineJwks: { type: 'boolean' },
    },
  },
  check(object, ctx) {
    return asRecords(specOf(object).jwtRules).flatMap((rule, i) => checkRule(rule, i, ctx.params));
  },
});
