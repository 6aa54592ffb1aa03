import { boundedMemo } from '../bounded-memo';
/**
 * Go's `time.ParseDuration`, reproduced exactly (accepted inputs, rounding and error texts), because the API
 * server's CEL `duration()` is Go's parser: a value is only as valid here as it would be there.
 * Port of src/time/format.go (ParseDuration, leadingInt, leadingFraction, quote).
 */

export type GoDurationResult = { ok: true; nanos: bigint } | { ok: false; error: string };

const UNIT_NANOS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // U+00B5 micro sign
  ['\u03bcs', 1_000n], // U+03BC Greek small letter mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const TWO_63 = 1n << 63n;
const MAX_INT64 = TWO_63 - 1n;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * Outcomes by input text. The same few durations (`5s`, `1500ms`, `24h`) are parsed over and over, by the CEL rules
 * and by several policies for every review, and BigInt arithmetic makes each parse cost about a microsecond. Results
 * are frozen because they are shared; bounded because the texts come from admitted objects.
 */
export const parseGoDuration: (input: string) => GoDurationResult = boundedMemo(
  (input) => Object.freeze(parseGoDurationUncached(input)),
  { maxEntries: 512, maxKeyLength: 64 },
);

/** The parse itself, every time; exported so tests can compare it with the cached answers. */
export function parseGoDurationUncached(input: string): GoDurationResult {
  const invalid = (): GoDurationResult => ({ ok: false, error: `time: invalid duration ${goTimeQuote(input)}` });
  let s = input;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, nanos: 0n };
  if (s === '') return invalid();

  let d = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) return invalid();

    // [0-9]*, failing on uint64 overflow like leadingInt.
    let v = 0n;
    let i = 0;
    for (; i < s.length && isDigit(s[i]); i++) {
      if (v > TWO_63 / 10n) return invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > TWO_63) return invalid();
    }
    const pre = i > 0;
    s = s.slice(i);

    // (\.[0-9]*)?, which stops accumulating precision instead of failing, like leadingFraction.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      for (; j < s.length && isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > MAX_INT64 / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > TWO_63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) return invalid();

    let u = 0;
    while (u < s.length && !(s[u] === '.' || isDigit(s[u]))) u++;
    if (u === 0) return { ok: false, error: `time: missing unit in duration ${goTimeQuote(input)}` };
    const unitText = s.slice(0, u);
    s = s.slice(u);
    const unit = UNIT_NANOS.get(unitText);
    if (unit === undefined) {
      return { ok: false, error: `time: unknown unit ${goTimeQuote(unitText)} in duration ${goTimeQuote(input)}` };
    }
    if (v > TWO_63 / unit) return invalid();
    v *= unit;
    if (f > 0n) {
      // Go computes the fraction in float64, so must we to round identically; Number(bigint) and Math.trunc
      // convert the way Go's uint64 -> float64 -> uint64 conversions do.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) return invalid();
    }
    d += v;
    if (d > TWO_63) return invalid();
  }
  if (neg) return { ok: true, nanos: -d };
  if (d > MAX_INT64) return invalid();
  return { ok: true, nanos: d };
}

const utf8 = new TextEncoder();
const LOWER_HEX = '0123456789abcdef';

/**
 * The time package's own `quote` (not strconv.Quote): printable ASCII as is with `"` and `\` escaped, every byte of
 * anything else (control characters, non-ASCII) as `\xNN`.
 */
export function goTimeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0x80 || cp < 0x20) {
      for (const b of utf8.encode(ch)) out += `\\x${LOWER_HEX[b >> 4]}${LOWER_HEX[b & 15]}`;
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return `${out}"`;
}
