/**
 * StringMatch (`exact` | `prefix` | `regex`) as istiod checks it: a set-but-empty prefix or regex is refused (Envoy
 * rejects empty prefix matchers, except for the URI), a regex must compile as RE2.
 */
import { asRecord, asString } from '../../src/policy-helpers/object-access';
import { validateRegex } from './re2';

/** Which member of the oneof is set, and its value; proto JSON sets a oneof member even to "". */
export function stringMatchKind(sm: unknown): { kind: 'exact' | 'prefix' | 'regex'; value: string } | undefined {
  const m = asRecord(sm);
  if (m === undefined) return undefined;
  for (const kind of ['exact', 'prefix', 'regex'] as const) {
    if (m[kind] !== undefined && m[kind] !== null) return { kind, value: asString(m[kind]) ?? '' };
  }
  return undefined;
}

/** Only the regex member: set-but-empty regexes and patterns RE2 refuses. */
export function validateStringMatchRegex(sm: unknown, where: string): string | undefined {
  const match = stringMatchKind(sm);
  if (match?.kind !== 'regex') return undefined;
  if (match.value === '') return `${JSON.stringify(where)}: regex string match should not be empty`;
  return validateRegex(match.value, where);
}

/** Prefix and regex members: neither may be empty, the regex must be RE2. */
export function validateStringMatch(sm: unknown, where: string): string | undefined {
  const match = stringMatchKind(sm);
  if (match?.kind === 'prefix' && match.value === '')
    return `${JSON.stringify(where)}: prefix string match should not be empty`;
  return validateStringMatchRegex(sm, where);
}
