/**
 * RequestAuthentication (security.istio.io): selection, and per JWT rule: an issuer or JWKS URI, an http(s) JWKS
 * URI that parses, a JWKS document that parses, non-empty token locations, claim-to-header outputs with strict
 * header names, and a timeout of at least 1ms.
 */
import { asArray, asRecord, asRecords, asString, type Json } from '../../src/policy-helpers/object-access';
import { parseURL } from '../../src/schema/go-url';
import { validateDuration } from './durations';
import { validateStrictHeaderName } from './headers';
import type { Report } from './report';
import { validatePolicySelection } from './target-refs';

const KEY_TYPES = new Set(['RSA', 'EC', 'oct', 'OKP']);

/** security.ParseJwksURI: Go's url.Parse, scheme http or https, numeric port. */
export function jwksUriError(uri: string): string | undefined {
  const parsed = parseURL(uri);
  if (!parsed.ok) return parsed.error;
  const scheme = parsed.url.scheme;
  if (scheme !== 'http' && scheme !== 'https') return `URI scheme ${JSON.stringify(scheme)} is not supported`;
  return undefined;
}

/** A JWK or JWK Set document, as the JWT library istiod uses would accept it. */
export function jwksError(jwks: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(jwks);
  } catch (e) {
    return `jwks parse error: failed to unmarshal JWK: ${(e as Error).message}`;
  }
  const obj = asRecord(doc);
  if (obj === undefined) return 'jwks parse error: failed to unmarshal JWK: not a JSON object';
  const keys = obj.keys !== undefined ? obj.keys : [obj];
  if (!Array.isArray(keys)) return 'jwks parse error: failed to unmarshal JWK set: "keys" is not an array';
  for (const key of keys) {
    const kty = asString(asRecord(key)?.kty);
    if (kty === undefined) return 'jwks parse error: failed to unmarshal JWK: invalid key type from JSON ()';
    if (!KEY_TYPES.has(kty)) return `jwks parse error: failed to unmarshal JWK: invalid key type from JSON (${kty})`;
  }
  return undefined;
}

function validateJwtRule(rule: Json, path: string, report: Report): void {
  asArray(rule.audiences).forEach((a, i) => {
    if ((asString(a) ?? '') === '') report.error(`${path}.audiences[${i}]`, 'audience must be non-empty string');
  });
  const issuer = asString(rule.issuer) ?? '';
  const jwksUri = asString(rule.jwksUri) ?? asString(rule.jwks_uri) ?? '';
  if (issuer === '' && jwksUri === '') report.error(path, 'issuer or jwksUri must be non-empty string');
  if (jwksUri !== '') report.errorIf(`${path}.jwksUri`, jwksUriError(jwksUri));
  const jwks = asString(rule.jwks) ?? '';
  if (jwks !== '') report.errorIf(`${path}.jwks`, jwksError(jwks));
  asArray(rule.fromHeaders).forEach((h, i) => {
    const header = asRecord(h);
    if (header === undefined) report.error(`${path}.fromHeaders[${i}]`, 'location header name must be non-null');
    else if ((asString(header.name) ?? '') === '')
      report.error(`${path}.fromHeaders[${i}].name`, 'location header name must be non-empty string');
  });
  asArray(rule.fromParams).forEach((p, i) => {
    if ((asString(p) ?? '') === '') report.error(`${path}.fromParams[${i}]`, 'location query must be non-empty string');
  });
  asArray(rule.fromCookies).forEach((c, i) => {
    if ((asString(c) ?? '') === '') report.error(`${path}.fromCookies[${i}]`, 'cookie name must be non-empty string');
  });
  asArray(rule.outputClaimToHeaders).forEach((entry, i) => {
    const at = `${path}.outputClaimToHeaders[${i}]`;
    const o = asRecord(entry);
    if (o === undefined) {
      report.error(at, 'outputClaimToHeaders must not be null');
      return;
    }
    const header = asString(o.header) ?? '';
    if ((asString(o.claim) ?? '') === '' || header === '') {
      report.error(at, 'outputClaimToHeaders header and claim value must be non-empty string');
      return;
    }
    report.errorIf(`${at}.header`, validateStrictHeaderName(header));
  });
  if (rule.timeout != null) report.errorIf(`${path}.timeout`, validateDuration(rule.timeout));
}

export function validateRequestAuthentication(spec: Json, report: Report): void {
  validatePolicySelection(spec, report);
  asRecords(spec.jwtRules).forEach((rule, i) => {
    validateJwtRule(rule, `spec.jwtRules[${i}]`, report);
  });
}
