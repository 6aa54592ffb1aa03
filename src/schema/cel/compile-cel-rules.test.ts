/**
 * How rules see values and how failures are reported, on small schemas that exercise what the Istio CRDs do not
 * (yet): int-or-string, number vs integer, nullable, escaped property names, fieldPath, reason, messageExpression,
 * allOf, transition rules, and the URL library's accessors. Expected texts are what
 * k8s.io/apiextensions-apiserver's CEL validator (v0.34; v0.37 for failureValue 'value') prints for the same input.
 */
import { formatFieldError } from '../field-error';
import { CelRuleCache, type CompileCelOptions, compileCelValidator, escapeCelIdent } from './compile-cel-rules';

const widget = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        count: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self == 1', message: 'count must be 1' }] },
        ratio: { type: 'number', 'x-kubernetes-validations': [{ rule: 'self == 1.5' }] },
        ios: {
          'x-kubernetes-int-or-string': true,
          'x-kubernetes-validations': [
            { rule: "type(self) == int ? self > 0 : self != ''", message: 'ios must be positive or non-empty' },
          ],
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        namespace: { type: 'string' },
        'x-y': { type: 'string' },
        opt: { type: 'string', nullable: true },
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, weight: { type: 'integer' } },
            'x-kubernetes-validations': [
              {
                rule: '!has(self.weight) || self.weight >= 0',
                message: 'weight must not be negative',
                fieldPath: '.weight',
              },
            ],
          },
          'x-kubernetes-validations': [{ rule: 'self.all(i, has(i.name))', message: 'every item needs a name' }],
        },
      },
      'x-kubernetes-validations': [
        {
          rule: "has(self.__namespace__) ? self.__namespace__ != 'kube-system' : true",
          message: 'not in kube-system',
          fieldPath: '.namespace',
          reason: 'FieldValueForbidden',
        },
        {
          rule: '!has(self.x__dash__y) || self.x__dash__y.size() < 3',
          message: 'static message',
          messageExpression: "'x-y too long: ' + self.x__dash__y",
        },
        { rule: '!has(self.opt)', message: 'opt must be absent', reason: 'FieldValueRequired' },
        {
          rule: "!has(self.labels) || self.labels.all(k, k != 'bad')",
          message: 'no bad label',
          fieldPath: ".labels['bad']",
          reason: 'FieldValueDuplicate',
        },
        { rule: 'self.count != 3' },
        { rule: 'oldSelf == self', message: 'immutable' },
      ],
      allOf: [
        {
          'x-kubernetes-validations': [
            { rule: '!has(self.count) || self.count != 2', message: 'count must not be 2 (allOf)' },
          ],
        },
      ],
    },
  },
};

const NO_COUNT = 'spec: Invalid value: "object": no such key: count evaluating rule: self.count != 3';

/** Formatted errors in sorted order: the API server's order follows Go map iteration, which is random. */
function errors(schema: unknown, spec: unknown, options?: CompileCelOptions): string[] {
  return compileCelValidator(schema, options)
    .validate({ apiVersion: 'x/v1', kind: 'X', spec })
    .map(formatFieldError)
    .sort();
}

describe('values as the API server types them', () => {
  test('integer fields are CEL ints and number fields CEL doubles, even when written as whole numbers', () => {
    expect(errors(widget, { count: 1, ratio: 1.5 })).toEqual([]);
    expect(errors(widget, { count: 2 })).toEqual([
      'spec.count: Invalid value: "integer": count must be 1',
      'spec: Invalid value: "object": count must not be 2 (allOf)',
    ]);
    expect(errors(widget, { count: 1, ratio: 1 })).toEqual([
      'spec.ratio: Invalid value: "number": failed rule: self == 1.5',
    ]);
  });

  test('int-or-string values keep the type they were written with; the schema type quoted is empty', () => {
    expect(errors(widget, { count: 1, ios: 3 })).toEqual([]);
    expect(errors(widget, { count: 1, ios: '50%' })).toEqual([]);
    expect(errors(widget, { count: 1, ios: -1 })).toEqual([
      'spec.ios: Invalid value: "": ios must be positive or non-empty',
    ]);
    expect(errors(widget, { count: 1, ios: '' })).toEqual([
      'spec.ios: Invalid value: "": ios must be positive or non-empty',
    ]);
  });

  test('a null or absent field is not validated, and reads as absent to has()', () => {
    expect(errors(widget, { count: 1, opt: null })).toEqual([]);
    expect(errors(widget, { count: null })).toEqual([NO_COUNT]);
    expect(errors(widget, null)).toEqual([]);
    expect(errors(widget, {})).toEqual([NO_COUNT]);
  });

  test('fields the schema does not declare are invisible, as after pruning', () => {
    expect(errors(widget, { count: 1, zzz: 5 })).toEqual([]);
  });

  test('property names that are CEL keywords or contain - . / are reached through their escaped names', () => {
    expect(escapeCelIdent('namespace')).toBe('__namespace__');
    expect(escapeCelIdent('x-y')).toBe('x__dash__y');
    expect(escapeCelIdent('a.b/c__d')).toBe('a__dot__b__slash__c__underscores__d');
    expect(escapeCelIdent('1abc')).toBeUndefined();
    expect(escapeCelIdent('a b')).toBeUndefined();
    expect(errors(widget, { count: 1, namespace: 'kube-system' })).toEqual([
      'spec.namespace: Forbidden: not in kube-system',
    ]);
  });

  test('a list item that no rule reads may even be null', () => {
    const schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { xs: { type: 'array', items: { type: 'string' } } },
          'x-kubernetes-validations': [{ rule: 'self.xs.size() == 2', message: 'two' }],
        },
      },
    };
    expect(errors(schema, { xs: ['a', null] })).toEqual([]);
  });

  test('data of the wrong type is an evaluation error, not a crash', () => {
    expect(errors(widget, { count: 'one' })).toEqual(
      [
        'spec.count: Invalid value: "integer": invalid data, expected int, got string evaluating rule: count must be 1',
        'spec: Invalid value: "object": invalid data, expected int, got string evaluating rule: count must not be 2 (allOf)',
        'spec: Invalid value: "object": invalid data, expected int, got string evaluating rule: self.count != 3',
      ].sort(),
    );
  });
});

describe('reporting', () => {
  test('fieldPath moves the error below the node; the quoted type stays the node’s', () => {
    expect(errors(widget, { count: 1, items: [{ name: 'a', weight: -1 }, { weight: 2 }] })).toEqual([
      'spec.items: Invalid value: "array": every item needs a name',
      'spec.items[0].weight: Invalid value: "object": weight must not be negative',
    ]);
  });

  test('reason selects Forbidden, Required or Duplicate', () => {
    expect(errors(widget, { count: 1, opt: 'v' })).toEqual(['spec: Required value: opt must be absent']);
    expect(errors(widget, { count: 1, labels: { bad: 'x' } })).toEqual(['spec.labels[bad]: Duplicate value: "object"']);
  });

  test('messageExpression replaces the message when it evaluates to a usable string', () => {
    expect(errors(widget, { count: 1, 'x-y': 'abcd' })).toEqual(['spec: Invalid value: "object": x-y too long: abcd']);
  });

  test('a rule without message reports its text', () => {
    expect(errors(widget, { count: 3 })).toEqual([
      'spec.count: Invalid value: "integer": count must be 1',
      'spec: Invalid value: "object": failed rule: self.count != 3',
    ]);
  });

  test("failureValue 'value' quotes scalars and omits objects, as Kubernetes 1.35+ does", () => {
    const v = { failureValue: 'value' } as const;
    expect(errors(widget, { count: 2 }, v)).toEqual([
      'spec.count: Invalid value: 2: count must be 1',
      'spec: Invalid value: count must not be 2 (allOf)',
    ]);
    expect(errors(widget, { count: 1, ios: -1 }, v)).toEqual([
      'spec.ios: Invalid value: -1: ios must be positive or non-empty',
    ]);
    expect(errors(widget, { count: 1, labels: { bad: 'x' } }, v)).toEqual(['spec.labels[bad]: Duplicate value']);
    expect(errors(widget, {}, v)).toEqual([NO_COUNT]);
  });

  test('transition rules (oldSelf) are skipped, as on create', () => {
    expect(errors(widget, { count: 1 })).toEqual([]);
  });

  test('a rule that does not parse is reported at its node on every value, never thrown', () => {
    const schema = {
      type: 'object',
      properties: { spec: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.(', message: 'm' }] } },
    };
    const found = compileCelValidator(schema).validate({ spec: 'x' });
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe('spec');
    expect(found[0]?.detail).toMatch(/^rule compile error: /);
  });

  test('errors carry origin cel', () => {
    const found = compileCelValidator(widget).validate({ spec: { count: 2 } });
    expect(found.map((e) => e.origin)).toEqual(['cel', 'cel']);
  });
});

describe('compilation', () => {
  test('duration comparisons evaluated natively agree with the general CEL evaluation', () => {
    // `duration(self) <op> duration('...')` takes the native path; the mirrored form goes through @bufbuild/cel.
    const pairs: Array<[string, string]> = [
      ["duration(self) >= duration('1ms')", "duration('1ms') <= duration(self)"],
      ["duration(self) < duration('1h30m')", "duration('1h30m') > duration(self)"],
      ["duration(self) == duration('-1.5s')", "duration('-1.5s') == duration(self)"],
      ["duration(self) != duration('0')", "duration('0') != duration(self)"],
    ];
    const inputs = [
      '1ms',
      '999us',
      '1000000ns',
      '0',
      '-1.5s',
      '1h29m59.999999999s',
      '1h30m',
      '2562047h',
      '1d',
      '',
      'abc',
      '1.5',
      '+1ms',
      '1µs',
    ];
    for (const [native, general] of pairs) {
      const schema = {
        type: 'object',
        properties: {
          a: { type: 'string', 'x-kubernetes-validations': [{ rule: native, message: 'm' }] },
          b: { type: 'string', 'x-kubernetes-validations': [{ rule: general, message: 'm' }] },
        },
      };
      const v = compileCelValidator(schema);
      for (const input of inputs) {
        const found = v.validate({ a: input, b: input }).map((e) => formatFieldError(e).replace(/^[ab]: /, ''));
        expect(found).toHaveLength(found.length === 0 ? 0 : 2);
        expect(found[0]).toBe(found[1]);
      }
    }
  });

  test('counts every rule, including allOf branches, and shares compiled expressions through the cache', () => {
    const cache = new CelRuleCache();
    const a = compileCelValidator(widget, { cache });
    expect(a.ruleCount).toBe(12);
    const size = cache.size;
    compileCelValidator(widget, { cache });
    expect(cache.size).toBe(size);
  });

  test('a schema without rules validates anything to no errors', () => {
    const v = compileCelValidator({ type: 'object', properties: { spec: { type: 'object' } } });
    expect(v.ruleCount).toBe(0);
    expect(v.validate({ spec: { anything: 1 } })).toEqual([]);
    expect(v.validate('not an object')).toEqual([]);
  });
});

describe('the Kubernetes URL library', () => {
  const link = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          u: {
            type: 'string',
            'x-kubernetes-validations': [
              {
                rule: '!isURL(self)',
                message: 'is a URL',
                messageExpression:
                  "'scheme=' + url(self).getScheme() + ' host=' + url(self).getHost() + ' hostname=' + url(self).getHostname() + ' port=' + url(self).getPort() + ' path=' + url(self).getEscapedPath() + ' query=' + string(url(self).getQuery().size())",
              },
              {
                rule: "!isURL(self) || !('k2' in url(self).getQuery()) || url(self).getQuery()['k2'] == ['b', 'c']",
                message: 'k2 must be [b, c]',
              },
            ],
          },
          n: { type: 'string', 'x-kubernetes-validations': [{ rule: 'url(self) == url(self)', message: 'never' }] },
        },
      },
    },
  };
  const parts = (u: string): string[] =>
    errors(link, { u }).map((e) => e.replace('spec.u: Invalid value: "string": ', ''));

  // The examples documented in k8s.io/apiserver/pkg/cel/library/urls.go.
  test.each([
    [
      'https://user:pass@example.com:80/path?query=val#fragment',
      'scheme=https host=example.com:80 hostname=example.com port=80 path=/path query=1',
    ],
    ['/absolute-path', 'scheme= host= hostname= port= path=/absolute-path query=0'],
    ['https://example.com/', 'scheme=https host=example.com hostname=example.com port= path=/ query=0'],
    ['https://[::1]:80/', 'scheme=https host=[::1]:80 hostname=::1 port=80 path=/ query=0'],
    ['https://[::1]/', 'scheme=https host=[::1] hostname=::1 port= path=/ query=0'],
    ['https://127.0.0.1:80/', 'scheme=https host=127.0.0.1:80 hostname=127.0.0.1 port=80 path=/ query=0'],
    [
      'https://example.com/path with spaces/',
      'scheme=https host=example.com hostname=example.com port= path=/path%20with%20spaces/ query=0',
    ],
    ['https://example.com', 'scheme=https host=example.com hostname=example.com port= path= query=0'],
    [
      'https://example.com/path?k1=a&k2=b&k2=c',
      'scheme=https host=example.com hostname=example.com port= path=/path query=2',
    ],
    ['https://example.com/path?', 'scheme=https host=example.com hostname=example.com port= path=/path query=0'],
  ])('url(%j)', (u, expected) => {
    expect(parts(u)).toEqual([expected]);
  });

  test.each(['https://a:b:c/', '../relative-path'])('isURL(%j) is false', (u) => {
    expect(parts(u)).toEqual([]);
  });

  test('getQuery keeps repeated values in order', () => {
    expect(parts('https://example.com/path?k2=c&k2=b')).toEqual([
      'k2 must be [b, c]',
      'scheme=https host=example.com hostname=example.com port= path=/path query=1',
    ]);
  });

  test('url() of a non-URL is an evaluation error carrying Go’s parse error', () => {
    expect(errors(link, { n: 'not a url' })).toEqual([
      'spec.n: Invalid value: "string": URL parse error during conversion from string: parse "not a url": invalid URI for request evaluating rule: never',
    ]);
    expect(errors(link, { n: 'http://ok/' })).toEqual([]);
  });
});
