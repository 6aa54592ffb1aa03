/**
 * time.ParseDuration's documented behaviour and its own test table (src/time/time_test.go), with the results and
 * error texts Go 1.26 gives for them.
 */
import { goTimeQuote, parseGoDuration, parseGoDurationUncached } from './go-duration';

const valid: Array<[string, bigint]> = [
  ['0', 0n],
  ['-0', 0n],
  ['+0', 0n],
  ['5s', 5_000_000_000n],
  ['30s', 30_000_000_000n],
  ['1478s', 1_478_000_000_000n],
  ['-5s', -5_000_000_000n],
  ['+5s', 5_000_000_000n],
  ['5.0s', 5_000_000_000n],
  ['5.6s', 5_600_000_000n],
  ['5.s', 5_000_000_000n],
  ['.5s', 500_000_000n],
  ['1.004s', 1_004_000_000n],
  ['100.00100s', 100_001_000_000n],
  ['10ns', 10n],
  ['11us', 11_000n],
  ['12\u00b5s', 12_000n], // micro sign
  ['12\u03bcs', 12_000n], // Greek mu
  ['13ms', 13_000_000n],
  ['1.5ms', 1_500_000n],
  ['14s', 14_000_000_000n],
  ['15m', 900_000_000_000n],
  ['16h', 57_600_000_000_000n],
  ['3h30m', 12_600_000_000_000n],
  ['10.5s4m', 250_500_000_000n],
  ['-2m3.4s', -123_400_000_000n],
  ['1h2m3s4ms5us6ns', 3_723_004_005_006n],
  ['39h9m14.425s', 140_954_425_000_000n],
  ['52763797000ns', 52_763_797_000n],
  // Fractions go through float64 in Go, and so round as Go rounds.
  ['0.3333333333333333333h', 1_200_000_000_000n],
  ['0.100000000000000000000h', 360_000_000_000n],
  ['0.830103483285477580700h', 2_988_372_539_827n],
  ['9007199254740993ns', 9_007_199_254_740_993n],
  ['9223372036854775807ns', 9_223_372_036_854_775_807n],
  ['9223372036854775.807us', 9_223_372_036_854_775_807n],
  ['-9223372036854775808ns', -9_223_372_036_854_775_808n],
  ['-2562047h47m16.854775808s', -9_223_372_036_854_775_808n],
];

const invalid: Array<[string, string]> = [
  ['', 'time: invalid duration ""'],
  ['3', 'time: missing unit in duration "3"'],
  ['1', 'time: missing unit in duration "1"'],
  ['1.5', 'time: missing unit in duration "1.5"'],
  ['1ms2', 'time: missing unit in duration "1ms2"'],
  ['-', 'time: invalid duration "-"'],
  ['s', 'time: invalid duration "s"'],
  ['.', 'time: invalid duration "."'],
  ['-.', 'time: invalid duration "-."'],
  ['.s', 'time: invalid duration ".s"'],
  ['+.s', 'time: invalid duration "+.s"'],
  ['1d', 'time: unknown unit "d" in duration "1d"'],
  ['1 s', 'time: unknown unit " s" in duration "1 s"'],
  ['1e3s', 'time: unknown unit "e" in duration "1e3s"'],
  ['1S', 'time: unknown unit "S" in duration "1S"'],
  ['1"s', 'time: unknown unit "\\"s" in duration "1\\"s"'],
  ['1ms\u0000', 'time: unknown unit "ms\\x00" in duration "1ms\\x00"'],
  ['1é', 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'],
  ['\u00b5s', 'time: invalid duration "\\xc2\\xb5s"'],
  ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
  ['9223372036854775.808us', 'time: invalid duration "9223372036854775.808us"'],
  ['9223372036854ms775us808ns', 'time: invalid duration "9223372036854ms775us808ns"'],
  ['9223372036854s775ms807us', 'time: invalid duration "9223372036854s775ms807us"'],
  ['-9223372036854775809ns', 'time: invalid duration "-9223372036854775809ns"'],
  ['100000000000000000000ns', 'time: invalid duration "100000000000000000000ns"'],
];

describe('parseGoDuration', () => {
  test.each(valid)('%j is %p ns', (input, nanos) => {
    expect(parseGoDuration(input)).toEqual({ ok: true, nanos });
  });

  test.each(invalid)('%j is refused: %s', (input, error) => {
    expect(parseGoDuration(input)).toEqual({ ok: false, error });
  });
});

describe('parseGoDuration keeps outcomes by text', () => {
  const texts = [...valid.map(([t]) => t), ...invalid.map(([t]) => t), `${'1'.repeat(70)}ns`, `${'1s'.repeat(40)}`];

  test('gives the uncached answer the first time and every time after', () => {
    for (let round = 0; round < 3; round++) {
      for (const t of texts) expect(parseGoDuration(t)).toEqual(parseGoDurationUncached(t));
    }
  });

  test('stays right past the cache bound, on many generated texts', () => {
    const units = ['ns', 'us', 'ms', 's', 'm', 'h', '', 'x'];
    for (let i = 0; i < 3000; i++) {
      const t = `${i % 7 === 0 ? '-' : ''}${(i * 7919) % 100000}${i % 3 === 0 ? `.${i % 1000}` : ''}${units[i % units.length]}`;
      expect(parseGoDuration(t)).toEqual(parseGoDurationUncached(t));
      expect(parseGoDuration(t)).toEqual(parseGoDurationUncached(t));
    }
  });
});

describe('goTimeQuote', () => {
  test('escapes quotes and backslashes, and writes control and non-ASCII characters as UTF-8 bytes', () => {
    expect(goTimeQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goTimeQuote('\t\u007f')).toBe('"\\x09\u007f"');
    expect(goTimeQuote('µ😀')).toBe('"\\xc2\\xb5\\xf0\\x9f\\x98\\x80"');
  });
});
