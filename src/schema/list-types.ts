import { type FieldError, fieldError } from './field-error';
import { field, formatPath, index, key, type PathSegment } from './field-path';
import type { StructuralSchema } from './json-schema';

/**
 * `x-kubernetes-list-type: set|map` promise unique items (or unique map keys); the API server rejects duplicates
 * before any webhook runs, so the offline mode must too.
 */
export function validateListTypes(object: unknown, schema: StructuralSchema): FieldError[] {
  const out: FieldError[] = [];
  walk(object, schema, [], out);
  return out;
}

function hasListTypes(schema: StructuralSchema, memo: WeakMap<StructuralSchema, boolean>): boolean {
  const known = memo.get(schema);
  if (known !== undefined) return known;
  memo.set(schema, false);
  const children: StructuralSchema[] = [
    ...Object.values(schema.properties ?? {}),
    ...(schema.items ? [schema.items] : []),
    ...(typeof schema.additionalProperties === 'object' ? [schema.additionalProperties] : []),
  ];
  const result = schema['x-kubernetes-list-type'] !== undefined || children.some((c) => hasListTypes(c, memo));
  memo.set(schema, result);
  return result;
}

const memo = new WeakMap<StructuralSchema, boolean>();

/**
 * One path stack for the whole walk (pushed and popped), and children visited only when list types sit below
 * them: this runs on every review, and most of an object has none.
 */
function walk(data: unknown, schema: StructuralSchema, path: PathSegment[], out: FieldError[]): void {
  if (!hasListTypes(schema, memo) || data === null || typeof data !== 'object') return;
  if (Array.isArray(data)) {
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'set' || listType === 'map')
      checkUnique(data, listType, schema['x-kubernetes-list-map-keys'] ?? [], path, out);
    const items = schema.items;
    if (items && hasListTypes(items, memo)) {
      for (let i = 0; i < data.length; i++) {
        path.push(index(i));
        walk(data[i], items, path, out);
        path.pop();
      }
    }
    return;
  }
  const record = data as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const prop = schema.properties?.[name];
    if (prop) {
      if (!hasListTypes(prop, memo)) continue;
      path.push(field(name));
      walk(record[name], prop, path, out);
      path.pop();
    } else if (typeof schema.additionalProperties === 'object') {
      if (!hasListTypes(schema.additionalProperties, memo)) continue;
      path.push(key(name));
      walk(record[name], schema.additionalProperties, path, out);
      path.pop();
    }
  }
}

function checkUnique(
  items: unknown[],
  listType: 'set' | 'map',
  mapKeys: string[],
  path: PathSegment[],
  out: FieldError[],
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const identity =
      listType === 'set'
        ? JSON.stringify(item)
        : JSON.stringify(
            mapKeys.map((k) =>
              item !== null && typeof item === 'object' ? (item as Record<string, unknown>)[k] : undefined,
            ),
          );
    if (seen.has(identity)) {
      const shown =
        listType === 'set'
          ? item
          : // (a null or scalar item has no keys: found by `npm run fuzz`, it used to throw here)
            `map[string]interface {}{${mapKeys.map((k) => `"${k}":${JSON.stringify(item !== null && typeof item === 'object' ? (item as Record<string, unknown>)[k] : undefined)}`).join(', ')}}`;
      out.push(fieldError('Duplicate', formatPath([...path, index(i)]), '', 'schema', { value: shown }));
    }
    seen.add(identity);
  });
}
