/**
 * Regular expressions judged as istiod judges them: compiled with Go's regexp package (RE2 syntax), not JavaScript's
 * RegExp, which accepts look-arounds and back-references that RE2 rejects (and rejects some RE2 it should accept).
 * @bufbuild/re2 (already a dependency, for the CRD CEL rules) is a port of RE2/J whose parser follows Go's
 * regexp/syntax, error texts included: `error parsing regexp: invalid nested repetition operator: \`++\``.
 */
import { RE2JS } from '@bufbuild/re2';

/** Envoy limits the RE2 program size; istiod approximates it by the pattern's length in bytes. */
export const MAX_REGEX_BYTES = 1024;

const verdicts = new Map<string, string | undefined>();
const MAX_CACHED = 512;

/** Go's regexp.Compile error text for `pattern`, or undefined when it compiles. */
export function re2CompileError(pattern: string): string | undefined {
  if (verdicts.has(pattern)) return verdicts.get(pattern);
  let error: string | undefined;
  try {
    RE2JS.compile(pattern);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  if (verdicts.size >= MAX_CACHED) verdicts.clear();
  verdicts.set(pattern, error);
  return error;
}

/** istiod's validateStringRegexp: the length limit, then RE2 compilation; `where` names the field in the message. */
export function validateRegex(pattern: string, where: string): string | undefined {
  if (Buffer.byteLength(pattern, 'utf8') > MAX_REGEX_BYTES) {
    return `${JSON.stringify(where)}: regex is too large, max length allowed is ${MAX_REGEX_BYTES}`;
  }
  const error = re2CompileError(pattern);
  if (error === undefined) return undefined;
  return `${JSON.stringify(where)}: ${error}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`;
}
