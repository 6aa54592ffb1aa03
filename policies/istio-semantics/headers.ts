/**
 * HTTP header names and values as istiod checks them before handing them to Envoy. Values may carry Envoy's
 * `%VARIABLE%` / `%VARIABLE(args)%` placeholders; a lone `%` must be escaped as `%%` (header_value_validator.go,
 * itself a port of Envoy's header_parser.cc).
 */
import { quote } from './hosts';

/** RFC 7230 token characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
/** Stricter names: used for JWT claim-to-header outputs and probe headers. */
const STRICT_NAME = /^[-A-Za-z0-9]+$/;
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);
const JWT_CLAIM_PREFIX = '@request.auth.claims';

/** `@request.auth.claims.<a>.<b>` or `@request.auth.claims[<a>][<b>]`: JWT-claim routing (gateways only). */
export function isJwtClaimRoute(name: string): boolean {
  if (!name.toLowerCase().startsWith(JWT_CLAIM_PREFIX)) return false;
  const rest = name.slice(JWT_CLAIM_PREFIX.length);
  return (rest.startsWith('[') && rest.endsWith(']')) || rest.startsWith('.');
}

/** Header names in route matches: tokens, HTTP/2 pseudo-headers, or JWT-claim routes. */
export function validateMatchHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (isJwtClaimRoute(name) || PSEUDO_HEADERS.has(name)) return undefined;
  return TOKEN.test(name) ? undefined : `header name ${name} is not a valid header name`;
}

/** CORS allow/expose headers: tokens or `*`. */
export function validateCorsHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (name === '*') return undefined;
  return TOKEN.test(name) ? undefined : `header name ${name} is not a valid header name`;
}

export function validateStrictHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  return STRICT_NAME.test(name) ? undefined : `header name ${name} is not a valid header name`;
}

const isInternalHeader = (name: string): boolean => name.startsWith(':') || name.toLowerCase() === 'host';
export const isAuthorityHeader = (name: string): boolean =>
  name.toLowerCase() === ':authority' || name.toLowerCase() === 'host';

/** Request headers to add or set: the authority (`:authority`/`host`) may be set, other pseudo-headers may not. */
export function validateRequestHeaderSetName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (isInternalHeader(name) && !isAuthorityHeader(name))
    return `invalid header ${quote(name)}: header cannot have ":" prefix`;
  return undefined;
}

/** Request headers to remove and every response header operation: neither Host nor pseudo-headers. */
export function validateHeaderOperationName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (name.toLowerCase() === 'host') return `invalid header ${quote(name)}: cannot set Host header`;
  if (isInternalHeader(name)) return `invalid header ${quote(name)}: header cannot have ":" prefix`;
  return undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000A-\u001F\u007F]/;

type State =
  | 'literal'
  | 'name'
  | 'expectArray'
  | 'expectString'
  | 'string'
  | 'expectDelimiterOrEnd'
  | 'expectArgsEnd'
  | 'expectVariableEnd';

/** Envoy's header formatter syntax: literal text, `%%`, `%VAR%`, `%VAR(arg)%` and `%VAR(["a", "b"])%`. */
export function headerValueSyntaxError(value: string): string | undefined {
  let state: State = 'literal';
  for (let pos = 0; pos < value.length; pos++) {
    const ch = value[pos];
    const hasNext = pos + 1 < value.length;
    switch (state) {
      case 'literal':
        if (ch !== '%') break;
        if (!hasNext) return 'invalid header configuration. Un-escaped %';
        if (value[pos + 1] === '%') {
          pos++; // `%%` is an escaped percent sign
          break;
        }
        state = 'name';
        break;
      case 'name':
        if (ch === '%') state = 'literal';
        else if (ch === '(') state = 'expectArray';
        break;
      case 'expectArray':
        if (ch === '[') state = 'expectString';
        else if (ch !== ' ') state = 'string';
        break;
      case 'expectDelimiterOrEnd':
        if (ch === ',') state = 'expectString';
        else if (ch === ']') state = 'expectArgsEnd';
        else if (ch !== ' ') return "invalid header configuration. Expecting ',', ']', or whitespace";
        break;
      case 'expectString':
        if (ch === '"') state = 'string';
        else if (ch !== ' ') return `invalid header configuration. Expecting '"'`;
        break;
      case 'string':
        if (ch === '\\') {
          if (!hasNext) return 'invalid header configuration. Un-terminated backslash in JSON string';
          pos++;
        } else if (ch === ')') state = 'expectVariableEnd';
        else if (ch === '"') state = 'expectDelimiterOrEnd';
        break;
      case 'expectArgsEnd':
        if (ch === ')') state = 'expectVariableEnd';
        else if (ch !== ' ')
          return "invalid header configuration. Expecting ')' or whitespace after '{}', but found '{}'";
        break;
      case 'expectVariableEnd':
        if (ch === '%') state = 'literal';
        else if (ch !== ' ') return "invalid header configuration. Expecting '%' or whitespace after";
        break;
    }
  }
  return state === 'literal' ? undefined : `invalid header configuration. Un-terminated variable expression '${value}'`;
}

/** A header value to add or set: no control characters (tab allowed) and well-formed `%` placeholders. */
export function validateHeaderValue(value: string): string | undefined {
  if (CONTROL_CHARACTERS.test(value)) return `header value configuration ${value} is invalid`;
  const syntax = headerValueSyntaxError(value);
  return syntax === undefined ? undefined : `header value configuration: ${syntax}`;
}
