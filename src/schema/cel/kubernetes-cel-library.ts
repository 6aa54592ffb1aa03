/**
 * CEL functions that the API server's CEL environment has and @bufbuild/cel lacks or implements differently, so
 * that a rule evaluates here to what it evaluates to in kube-apiserver:
 *   - Kubernetes' URL library (k8s.io/apiserver/pkg/cel/library/urls.go): isURL, url and the URL accessors;
 *   - cel-go conversions that the API server gets from Go's standard library: duration(string) is
 *     time.ParseDuration, int(string) is strconv.ParseInt(s, 10, 64);
 *   - cel-go's strings extension substring(), which counts code points, not UTF-16 units.
 * Failures throw errors carrying cel-go's own text, since the API server prints that text in its rejection.
 */
import { type CelFunc, type CelMap, CelScalar, celFunc, celMap, celMethod, mapType, objectType } from '@bufbuild/cel';
import { parseGoDuration } from '../go-duration';
import { type GoURL, parseRequestURI, parseURL } from '../go-url';

const { STRING, INT, BOOL, DYN } = CelScalar;
const DURATION = objectType('google.protobuf.Duration');
const URL_TYPE = mapType(STRING, STRING);

/**
 * A URL is an opaque value in Kubernetes. @bufbuild/cel only carries its own value kinds, so a URL travels as a
 * one-entry map (its text, which keeps `==` meaningful) and the parsed form is found again through this table.
 */
const parsedUrls = new WeakMap<object, GoURL>();

function toUrlValue(text: string, parsed: GoURL): CelMap {
  const value = celMap(new Map([['url', text]]));
  parsedUrls.set(value, parsed);
  return value;
}

function urlOf(value: unknown): GoURL {
  const parsed = typeof value === 'object' && value !== null ? parsedUrls.get(value) : undefined;
  if (parsed === undefined) throw new Error('no such overload');
  return parsed;
}

/** `url(string)`: ParseRequestURI decides validity; Parse builds the value because ParseRequestURI mishandles #fragment. */
function stringToUrl(s: string): CelMap {
  const checked = parseRequestURI(s);
  if (!checked.ok) throw new Error(`URL parse error during conversion from string: ${checked.error}`);
  const parsed = parseURL(s);
  if (!parsed.ok) throw new Error(`URL parse error during conversion from string: ${parsed.error}`);
  return toUrlValue(s, parsed.url);
}

interface DurationMessage {
  readonly $typeName: 'google.protobuf.Duration';
  readonly seconds: bigint;
  readonly nanos: number;
}

const NANOS_PER_SECOND = 1_000_000_000n;

/**
 * duration(string) as cel-go has it: Go's time.ParseDuration, and on any failure cel-go's generic conversion error,
 * which is what the API server reports.
 */
export function celDurationNanos(s: string): bigint {
  const parsed = parseGoDuration(s);
  if (!parsed.ok) throw new Error("type conversion error from 'string' to 'google.protobuf.Duration'");
  return parsed.nanos;
}

/** Durations are immutable and manifests repeat the same few ("30s", "1ms"): parse each text once. */
const durations = new Map<string, DurationMessage>();
const MAX_CACHED_DURATIONS = 1024;

function stringToDuration(s: string): DurationMessage {
  let message = durations.get(s);
  if (message === undefined) {
    const nanos = celDurationNanos(s);
    // Truncating division keeps seconds and nanos of the same sign, as google.protobuf.Duration requires.
    message = {
      $typeName: 'google.protobuf.Duration',
      seconds: nanos / NANOS_PER_SECOND,
      nanos: Number(nanos % NANOS_PER_SECOND),
    };
    if (durations.size >= MAX_CACHED_DURATIONS) durations.clear();
    durations.set(s, message);
  }
  return message;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** strconv.ParseInt(s, 10, 64): optional sign and ASCII digits only (no spaces, no 0x, no underscores). */
function stringToInt(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error("type conversion error from 'string' to 'int'");
  const n = BigInt(s);
  if (n < INT64_MIN || n > INT64_MAX) throw new Error("type conversion error from 'string' to 'int'");
  return n;
}

/** cel-go ext strings substring: indices are code points; errors name the offending index. */
function substring(s: string, start: bigint, end?: bigint): string {
  const chars = Array.from(s);
  const n = BigInt(chars.length);
  const stop = end ?? n;
  if (end !== undefined && start > end) throw new Error(`invalid substring range. start: ${start}, end: ${end}`);
  if (start < 0n || start > n) throw new Error(`index out of range: ${start}`);
  if (stop < 0n || stop > n) throw new Error(`index out of range: ${stop}`);
  return chars.slice(Number(start), Number(stop)).join('');
}

function queryToMap(u: GoURL): CelMap {
  return celMap(new Map([...u.query()].map(([k, v]) => [k, v])));
}

/** Functions to register after @bufbuild/cel's own and its strings extension, so these win where both exist. */
export const kubernetesCelFunctions: readonly CelFunc[] = [
  celFunc('isURL', [STRING], BOOL, (s) => parseRequestURI(s).ok),
  celFunc('url', [STRING], URL_TYPE, stringToUrl),
  celMethod('getScheme', DYN, [], STRING, function () {
    return urlOf(this).scheme;
  }),
  celMethod('getHost', DYN, [], STRING, function () {
    return urlOf(this).host;
  }),
  celMethod('getHostname', DYN, [], STRING, function () {
    return urlOf(this).hostname();
  }),
  celMethod('getPort', DYN, [], STRING, function () {
    return urlOf(this).port();
  }),
  celMethod('getEscapedPath', DYN, [], STRING, function () {
    return urlOf(this).escapedPath();
  }),
  celMethod('getQuery', DYN, [], mapType(STRING, DYN), function () {
    return queryToMap(urlOf(this));
  }),
  celFunc('duration', [STRING], DURATION, (s) => {
    const message: DurationMessage = stringToDuration(s);
    return message;
  }),
  celFunc('int', [STRING], INT, stringToInt),
  celMethod('substring', STRING, [INT], STRING, function (start) {
    return substring(this, start);
  }),
  celMethod('substring', STRING, [INT, INT], STRING, function (start, end) {
    return substring(this, start, end);
  }),
];
