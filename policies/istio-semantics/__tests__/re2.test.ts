import { re2CompileError, validateRegex } from '../re2';

describe('regular expressions judged as RE2 (Go regexp), not JavaScript RegExp', () => {
  it.each([
    '^/service/([^/]+)(/.*)$',
    'test',
    '(?i)^/api/v[0-9]+',
    '\\Q.*\\E',
    '[[:alpha:]]+',
    '\\pL+',
    '(?P<version>v[0-9])',
    'a{,3}',
    'x{1000}',
    '\\z',
  ])('accepts %j', (pattern) => {
    expect(re2CompileError(pattern)).toBeUndefined();
  });

  it.each([
    ['(?=lookahead)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?!negative)', 'invalid or unsupported Perl syntax: `(?!`'],
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['a++', 'invalid nested repetition operator: `++`'],
    ['?', 'missing argument to repetition operator: `?`'],
    ['[', 'missing closing ]: `[`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
    ['\\Z', 'invalid escape sequence: `\\Z`'],
  ])('refuses %j (%s) although JavaScript may accept it', (pattern, message) => {
    expect(re2CompileError(pattern)).toBe(`error parsing regexp: ${message}`);
  });

  it('JavaScript would accept look-arounds and back-references that RE2 refuses', () => {
    expect(() => /(?=a)b/).not.toThrow();
    expect(() => /(a)\1/).not.toThrow();
    expect(re2CompileError('(?=a)b')).toBeDefined();
    expect(re2CompileError('(a)\\1')).toBeDefined();
  });

  it("uses istiod's wording and its 1024-byte limit", () => {
    expect(validateRegex('?', 'uri')).toBe(
      '"uri": error parsing regexp: missing argument to repetition operator: `?`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)',
    );
    expect(validateRegex('a'.repeat(1024), 'uri')).toBeUndefined();
    expect(validateRegex('a'.repeat(1025), 'uri')).toBe('"uri": regex is too large, max length allowed is 1024');
  });
});
