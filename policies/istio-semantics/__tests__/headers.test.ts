import {
  headerValueSyntaxError,
  validateHeaderOperationName,
  validateHeaderValue,
  validateMatchHeaderName,
  validateRequestHeaderSetName,
} from '../headers';

describe('header values with Envoy %VAR% placeholders', () => {
  it.each([
    '',
    'foo',
    '%HOSTNAME%',
    'hello %HOSTNAME%',
    '100%%',
    '100%% and more',
    'prefix %HOSTNAME% suffix',
    '%UPSTREAM_METADATA(["lb", "version"])%',
    '%START_TIME(%s.%3f)%',
    '%ENVIRONMENT(X)%',
    'tab\tinside',
  ])('accepts %j', (value) => {
    expect(validateHeaderValue(value)).toBeUndefined();
  });

  it.each([
    ['abcd%oijasodifj', "invalid header configuration. Un-terminated variable expression 'abcd%oijasodifj'"],
    ['abc%123', "invalid header configuration. Un-terminated variable expression 'abc%123'"],
    ['50%', 'invalid header configuration. Un-escaped %'],
    ['%START_TIME%%', 'invalid header configuration. Un-escaped %'],
    ['%UPSTREAM_METADATA([lb])%', `invalid header configuration. Expecting '"'`],
    ['%UPSTREAM_METADATA(["lb" x])%', "invalid header configuration. Expecting ',', ']', or whitespace"],
  ])('refuses %j', (value, message) => {
    expect(headerValueSyntaxError(value)).toBe(message);
    expect(validateHeaderValue(value)).toBe(`header value configuration: ${message}`);
  });

  it('refuses control characters', () => {
    expect(validateHeaderValue('a\nb')).toBe('header value configuration a\nb is invalid');
  });
});

describe('header names', () => {
  it.each([
    ['x-foo', undefined],
    [':authority', undefined],
    ['funky!$#_', undefined],
    ['@request.auth.claims.group', undefined],
    ['@request.auth.claims[nested][key]', undefined],
    ['', 'header name cannot be empty'],
    ['::', 'header name :: is not a valid header name'],
    ['illegal"char', 'header name illegal"char is not a valid header name'],
  ])('match header %j', (name, problem) => {
    expect(validateMatchHeaderName(name)).toBe(problem);
  });

  it('lets request set/add change the authority but no other pseudo-header, and never Host on removal or responses', () => {
    expect(validateRequestHeaderSetName(':authority')).toBeUndefined();
    expect(validateRequestHeaderSetName('Host')).toBeUndefined();
    expect(validateRequestHeaderSetName(':path')).toBe('invalid header ":path": header cannot have ":" prefix');
    expect(validateHeaderOperationName('host')).toBe('invalid header "host": cannot set Host header');
    expect(validateHeaderOperationName(':authority')).toBe(
      'invalid header ":authority": header cannot have ":" prefix',
    );
    expect(validateHeaderOperationName('')).toBe('header name cannot be empty');
  });
});
