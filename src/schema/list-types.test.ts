/**
 * x-kubernetes-list-type uniqueness on the Istio kinds that declare it, and the walk itself against the simpler one
 * it replaced (fresh path arrays per step, every property visited) on generated objects.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FieldError, fieldError, formatFieldError } from './field-error';
import { field, formatPath, index, key, type PathSegment } from './field-path';
import type { StructuralSchema } from './json-schema';
import { validateListTypes } from './list-types';

const crds = JSON.parse(readFileSync(join(__dirname, '../../schemas/generated/crds.json'), 'utf8')) as {
  kinds: Array<{ kind: string; schema: StructuralSchema }>;
};
const schemaOf = (kind: string): StructuralSchema => {
  const found = crds.kinds.find((k) => k.kind === kind);
  if (found === undefined) throw new Error(`no ${kind}`);
  return found.schema;
};

/** The walk as it was: a new path array per step, and every property and item visited. */
function reference(object: unknown, schema: StructuralSchema): FieldError[] {
  const out: FieldError[] = [];
  const has = (s: StructuralSchema): boolean =>
    s['x-kubernetes-list-type'] !== undefined ||
    Object.values(s.properties ?? {}).some(has) ||
    (s.items ? has(s.items) : false) ||
    (typeof s.additionalProperties === 'object' ? has(s.additionalProperties) : false);
  const walk = (data: unknown, s: StructuralSchema, path: PathSegment[]): void => {
    if (!has(s) || data === null || typeof data !== 'object') return;
    if (Array.isArray(data)) {
      const listType = s['x-kubernetes-list-type'];
      if (listType === 'set' || listType === 'map') {
        const mapKeys = s['x-kubernetes-list-map-keys'] ?? [];
        const seen = new Set<string>();
        data.forEach((item, i) => {
          const pick = (k: string) =>
            item !== null && typeof item === 'object' ? (item as Record<string, unknown>)[k] : undefined;
          const identity = listType === 'set' ? JSON.stringify(item) : JSON.stringify(mapKeys.map(pick));
          if (seen.has(identity)) {
            const shown =
              listType === 'set'
                ? item
                : `map[string]interface {}{${mapKeys.map((k) => `"${k}":${JSON.stringify(pick(k))}`).join(', ')}}`;
            out.push(fieldError('Duplicate', formatPath([...path, index(i)]), '', 'schema', { value: shown }));
          }
          seen.add(identity);
        });
      }
      if (s.items) for (let i = 0; i < data.length; i++) walk(data[i], s.items, [...path, index(i)]);
      return;
    }
    for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
      const prop = s.properties?.[name];
      if (prop) walk(value, prop, [...path, field(name)]);
      else if (typeof s.additionalProperties === 'object') walk(value, s.additionalProperties, [...path, key(name)]);
    }
  };
  walk(object, schema, []);
  return out;
}

describe('list-type uniqueness', () => {
  it('reports a repeated ServiceEntry port name and a repeated WasmPlugin match port', () => {
    const se = {
      spec: {
        hosts: ['a'],
        ports: [
          { name: 'http', number: 80 },
          { name: 'http', number: 81 },
        ],
      },
    };
    expect(validateListTypes(se, schemaOf('ServiceEntry')).map(formatFieldError)).toEqual([
      'spec.ports[1]: Duplicate value: "map[string]interface {}{\\"name\\":\\"http\\"}"',
    ]);
    const wp = { spec: { match: [{ ports: [{ number: 80 }, { number: 443 }, { number: 80 }] }] } };
    expect(validateListTypes(wp, schemaOf('WasmPlugin')).map(formatFieldError)).toEqual([
      'spec.match[0].ports[2]: Duplicate value: "map[string]interface {}{\\"number\\":80}"',
    ]);
  });

  it.each(['ServiceEntry', 'WasmPlugin', 'TrafficExtension', 'VirtualService'])(
    '%s: the same errors as the walk it replaced, on generated objects',
    (kind) => {
      const schema = schemaOf(kind);
      let seed = kind.length;
      const random = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return Math.floor((seed / 2147483648) * n);
      };
      const SCALARS: unknown[] = ['http', 'grpc', '', 80, 443, null, true, { name: 'x' }];
      const gen = (s: StructuralSchema, depth: number): unknown => {
        if (depth > 6 || random(20) === 0) return SCALARS[random(SCALARS.length)];
        if (s.type === 'array' && s.items) {
          const items = Array.from({ length: random(4) }, () => gen(s.items as StructuralSchema, depth + 1));
          if (items.length > 0 && random(2) === 0) items.push(items[0]);
          return items;
        }
        if (s.type === 'object' && s.properties) {
          const o: Record<string, unknown> = {};
          for (const [name, p] of Object.entries(s.properties)) if (random(3) === 0) o[name] = gen(p, depth + 1);
          return o;
        }
        if (s.type === 'object' && typeof s.additionalProperties === 'object') {
          return { a: gen(s.additionalProperties, depth + 1), b: gen(s.additionalProperties, depth + 1) };
        }
        return SCALARS[random(SCALARS.length)];
      };
      let duplicates = 0;
      for (let i = 0; i < 3000; i++) {
        const object = { apiVersion: 'x/v1', kind, spec: gen(schema.properties?.spec ?? {}, 0) };
        const want = reference(object, schema).map(formatFieldError);
        expect({ i, errors: validateListTypes(object, schema).map(formatFieldError) }).toEqual({ i, errors: want });
        duplicates += want.length;
      }
      if (kind !== 'VirtualService') expect(duplicates).toBeGreaterThan(50);
    },
  );
});
