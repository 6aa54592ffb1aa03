/**
 * Fast rules (fast-rules.ts) against the general @bufbuild/cel programs: on every kind of the vendored Istio CRDs,
 * thousands of objects generated from the schema itself (mostly well-typed, with the values the rules test for, and
 * now and then a null, a wrong type or an odd string) must get exactly the same errors, in the same order, with fast
 * rules on as with them off.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@bufbuild/cel';
import { formatFieldError } from '../field-error';
import { compileCelValidator } from './compile-cel-rules';
import { codePointCount, compileFastRule, type FastRule, UNSURE } from './fast-rules';

/** How the fast rules the validators compiled answered, so the tests can tell that they were exercised. */
const tally = { sites: 0, compiled: 0, true: 0, false: 0, unsure: 0 };

jest.mock('./fast-rules', () => {
  const actual: typeof import('./fast-rules') = jest.requireActual('./fast-rules');
  return {
    ...actual,
    compileFastRule: (...args: Parameters<typeof actual.compileFastRule>): FastRule | undefined => {
      const rule = actual.compileFastRule(...args);
      tally.sites++;
      if (rule === undefined) return undefined;
      tally.compiled++;
      return (value) => {
        const answer = rule(value);
        if (answer === true) tally.true++;
        else if (answer === false) tally.false++;
        else tally.unsure++;
        return answer;
      };
    },
  };
});

interface CrdKind {
  kind: string;
  schema: Record<string, unknown>;
}

const crds = JSON.parse(readFileSync(join(__dirname, '../../../schemas/generated/crds.json'), 'utf8')) as {
  kinds: CrdKind[];
};

/** mulberry32: a small seeded generator, so a failure replays. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    chance: (p: number): boolean => next() < p,
    int,
    pick: <T>(list: readonly T[]): T => list[int(list.length)] as T,
  };
}
type Rng = ReturnType<typeof rng>;

/** Strings the rules test for (wildcards, unix sockets, CIDRs, enum values, durations, schemes) and odd ones. */
const STRINGS = [
  '',
  ' ',
  '*',
  'a*',
  '*.example.com',
  'app',
  'app.kubernetes.io/name',
  'a'.repeat(62),
  'a'.repeat(63),
  '-bad',
  'unix://',
  'unix:///var/run/sock',
  'unix://@abstract',
  'unix://relative',
  'unix:///dir/',
  '10.0.0.1',
  '10.0.0.0/16',
  'HOST',
  'NONE',
  'STATIC',
  'DNS',
  'DNS_ROUND_ROBIN',
  'UPSERT',
  'REMOVE',
  'WAYPOINT',
  'SIDECAR',
  'HTTP',
  'HTTPS',
  'http',
  'http://example.com/jwks',
  'https://example.com',
  'ftp://x',
  'oci://ghcr.io/x:1',
  'file:///x.wasm',
  'ghcr.io/x:1',
  '::1',
  '1ms',
  '0.5ms',
  '500ns',
  '1h',
  '-1s',
  '1.5s',
  '10s',
  'x1s',
  '80',
  '0',
  '65536',
  '+80',
  '080',
  '1e3',
  'default',
  'istio-system',
  '\ud800',
  '\udfff',
  '🦄🦄',
  'e\u0301',
  'İ',
  'nul\u0000',
];
const NUMBERS = [0, 1, 2, 80, 443, 65535, 65536, -1, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308];

type Schema = Record<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function oddValue(r: Rng): unknown {
  switch (r.int(6)) {
    case 0:
      return null;
    case 1:
      return r.pick(STRINGS);
    case 2:
      return r.pick(NUMBERS);
    case 3:
      return r.chance(0.5);
    case 4:
      return r.chance(0.5) ? [] : [r.pick(STRINGS)];
    default:
      return r.chance(0.5) ? {} : { [r.pick(STRINGS)]: r.pick(STRINGS) };
  }
}

/** A value for `schema`: usually of its type, with enum values and the strings above; sometimes odd. */
function generate(schema: Schema, r: Rng, depth: number): unknown {
  if (r.chance(0.04)) return oddValue(r);
  if (Array.isArray(schema.enum) && r.chance(0.7)) return r.pick(schema.enum as unknown[]);
  if (schema['x-kubernetes-int-or-string'] === true) return r.chance(0.5) ? r.pick(NUMBERS) : r.pick(STRINGS);
  switch (schema.type) {
    case 'string':
      return r.pick(STRINGS);
    case 'integer':
      return r.chance(0.9) ? r.pick(NUMBERS.filter(Number.isInteger)) : r.pick(NUMBERS);
    case 'number':
      return r.pick(NUMBERS);
    case 'boolean':
      return r.chance(0.5);
    case 'array': {
      if (!isRecord(schema.items) || depth > 6) return [];
      const items = schema.items;
      const n = r.int(4);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(generate(items, r, depth + 1));
      // Repeated items, so exists_one and list-map rules see duplicates.
      if (out.length > 0 && r.chance(0.2)) out.push(out[0]);
      return out;
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      if (isRecord(schema.properties) && depth <= 6) {
        for (const [name, prop] of Object.entries(schema.properties)) {
          if (isRecord(prop) && r.chance(depth === 0 ? 0.6 : 0.4)) out[name] = generate(prop, r, depth + 1);
        }
        // A field the schema does not declare, invisible to CEL.
        if (r.chance(0.05)) out.undeclared = r.pick(STRINGS);
      } else if (isRecord(schema.additionalProperties) && depth <= 6) {
        const values = schema.additionalProperties;
        const n = r.int(4);
        for (let i = 0; i < n; i++) out[r.pick(STRINGS)] = generate(values, r, depth + 1);
      }
      return out;
    }
    default:
      return oddValue(r);
  }
}

const COUNT = Number(process.env.FAST_RULES_CASES ?? 1500);

describe.each(crds.kinds.map((k) => [k.kind, k] as const))(
  '%s: fast rules answer as the general programs do',
  (_name, k) => {
    const fast = compileCelValidator(k.schema);
    const general = compileCelValidator(k.schema, { fastRules: false });
    const fastValue = compileCelValidator(k.schema, { failureValue: 'value' });
    const generalValue = compileCelValidator(k.schema, { failureValue: 'value', fastRules: false });
    const spec = isRecord(k.schema.properties) && isRecord(k.schema.properties.spec) ? k.schema.properties.spec : {};

    test(`${COUNT} generated objects get the same errors`, () => {
      const r = rng(0x5eed + k.kind.length * 7919 + (k.kind.codePointAt(0) ?? 0));
      let failing = 0;
      for (let i = 0; i < COUNT; i++) {
        const object = { apiVersion: 'x/v1', kind: k.kind, metadata: { name: 'n' }, spec: generate(spec, r, 0) };
        const want = general.validate(object).map(formatFieldError);
        expect({ i, object, errors: fast.validate(object).map(formatFieldError) }).toEqual({ i, object, errors: want });
        expect(fastValue.validate(object).map(formatFieldError)).toEqual(
          generalValue.validate(object).map(formatFieldError),
        );
        if (want.length > 0) failing++;
      }
      // The objects must exercise failures as well as passes, or the comparison says little.
      if (k.kind !== 'Gateway' && k.kind !== 'ProxyConfig') expect(failing).toBeGreaterThan(COUNT / 50);
    });
  },
);

afterAll(() => {
  // Most rule sites have a fast rule, and the generated objects make them answer both ways, not just defer.
  expect(tally.compiled).toBeGreaterThan(tally.sites * 0.7);
  expect(tally.true).toBeGreaterThan(tally.unsure);
  expect(tally.false).toBeGreaterThan(1000);
});

describe('fast rules on their own', () => {
  const str = { kind: 'string', nullable: false } as const;
  const int = { kind: 'int', nullable: false } as const;
  const map = { kind: 'map', nullable: false, values: str } as const;

  test('answer the common rule shapes', () => {
    const port = compileFastRule(parse('0 < self && self <= 65535').expr, int);
    expect([0, 1, 65535, 65536].map((v) => port?.(v))).toEqual([false, true, true, false]);
    const keys = compileFastRule(parse('self.all(key, !key.contains("*"))').expr, map);
    expect([{}, { a: 'x' }, { 'a*': 'x' }].map((v) => keys?.(v))).toEqual([true, true, false]);
    const d = compileFastRule(parse("duration(self) >= duration('1ms')").expr, str);
    expect(['1ms', '999us', '1h'].map((v) => d?.(v))).toEqual([true, false, true]);
  });

  test('leave errors and what they do not know to the general program', () => {
    const d = compileFastRule(parse("duration(self) >= duration('1ms')").expr, str);
    expect(d?.('soon')).toBe(UNSURE);
    expect(d?.(5)).toBe(UNSURE);
    expect(compileFastRule(parse('url(self).getScheme() in ["http", "https"]').expr, str)).toBeUndefined();
    const sub = compileFastRule(parse('self.startsWith("unix://") ? !self.endsWith("/") : true').expr, str);
    expect(['x', 'unix:///a', 'unix:///a/'].map((v) => sub?.(v))).toEqual([true, true, false]);
  });

  test('count code points as CEL size() does', () => {
    for (const s of STRINGS) expect(codePointCount(s)).toBe([...s].length);
  });
});
