import type { ErrorObject } from 'ajv';
import { type FieldError, fieldError } from './field-error';
import { field, formatPath, index, key, type PathSegment } from './field-path';
import type { StructuralSchema } from './json-schema';

/** apiVersion, kind and metadata are not in the CRD schema; describing them keeps label keys in brackets. */
const OBJECT_ENVELOPE: Record<string, StructuralSchema> = {
  apiVersion: { type: 'string' },
  kind: { type: 'string' },
  metadata: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      namespace: { type: 'string' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      annotations: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
};

export function envelopeSchema(schema: StructuralSchema): StructuralSchema {
  return { ...schema, type: 'object', properties: { ...OBJECT_ENVELOPE, ...schema.properties } };
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Walks object and schema together: an array element gets `[i]`, a map entry `[key]`, a property `.name`. */
export function pointerToSegments(pointer: string, object: unknown, schema: StructuralSchema): PathSegment[] {
  const out: PathSegment[] = [];
  let data: unknown = object;
  let node: StructuralSchema | undefined = schema;
  for (const raw of decodePointer(pointer)) {
    if (Array.isArray(data)) {
      const i = Number(raw);
      out.push(index(i));
      data = data[i];
      node = node?.items;
      continue;
    }
    const props: Record<string, StructuralSchema> | undefined = node?.properties;
    if (props && Object.hasOwn(props, raw)) {
      out.push(field(raw));
      node = props[raw];
    } else if (node && typeof node.additionalProperties === 'object') {
      out.push(key(raw));
      node = node.additionalProperties;
    } else {
      out.push(field(raw));
      node = undefined;
    }
    data = data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[raw] : undefined;
  }
  return out;
}

/** The JSON type name the API server quotes in type errors. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const quoteList = (values: readonly unknown[]): string => values.map((v) => JSON.stringify(v)).join(', ');

/** Names the keys of a "set at most one of" oneOf (Istio's generator emits `not anyOf required` + one `required` per key). */
function oneOfKeys(schema: unknown): string[] {
  if (!Array.isArray(schema)) return [];
  return schema.flatMap((branch: StructuralSchema) => (Array.isArray(branch.required) ? branch.required : []));
}

/**
 * Translates ajv's errors into the API server's field errors. Errors inside oneOf/anyOf branches are dropped in
 * favour of the one combinator error: listing why each branch failed confuses more than it helps.
 */
export function toFieldErrors(errors: readonly ErrorObject[], object: unknown, schema: StructuralSchema): FieldError[] {
  const combinators = errors
    .filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')
    .map((e) => `${e.schemaPath}/`);
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (combinators.some((prefix) => e.schemaPath.startsWith(prefix))) continue;
    const fe = translate(e, object, schema);
    if (fe === undefined) continue;
    const id = `${fe.type}|${fe.path}|${fe.detail}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(fe);
  }
  return out;
}

function translate(e: ErrorObject, object: unknown, schema: StructuralSchema): FieldError | undefined {
  const segments = pointerToSegments(e.instancePath, object, schema);
  const path = formatPath(segments);
  const params = e.params as Record<string, unknown>;
  const value = { value: e.data };
  switch (e.keyword) {
    case 'required':
      return fieldError('Required', formatPath([...segments, field(String(params.missingProperty))]), '', 'schema');
    case 'enum':
      return fieldError(
        'NotSupported',
        path,
        `supported values: ${quoteList(params.allowedValues as unknown[])}`,
        'schema',
        value,
      );
    case 'type': {
      const actual = jsonTypeName(e.data);
      return fieldError(
        'TypeInvalid',
        path,
        `${path} in body must be of type ${String(params.type)}: "${actual}"`,
        'schema',
        {
          value: actual,
        },
      );
    }
    case 'maximum':
      return fieldError(
        'Invalid',
        path,
        `${path} in body should be less than or equal to ${String(params.limit)}`,
        'schema',
        value,
      );
    case 'exclusiveMaximum':
      return fieldError(
        'Invalid',
        path,
        `${path} in body should be less than ${String(params.limit)}`,
        'schema',
        value,
      );
    case 'minimum':
      return fieldError(
        'Invalid',
        path,
        `${path} in body should be greater than or equal to ${String(params.limit)}`,
        'schema',
        value,
      );
    case 'exclusiveMinimum':
      return fieldError(
        'Invalid',
        path,
        `${path} in body should be greater than ${String(params.limit)}`,
        'schema',
        value,
      );
    case 'maxLength':
      return fieldError('TooLong', path, `may not be more than ${String(params.limit)} bytes`, 'schema');
    case 'minLength':
      return fieldError(
        'Invalid',
        path,
        `${path} in body should be at least ${String(params.limit)} chars long`,
        'schema',
        value,
      );
    case 'maxItems':
      return fieldError('TooMany', path, `must have at most ${String(params.limit)} items`, 'schema', {
        value: Array.isArray(e.data) ? e.data.length : 0,
      });
    case 'minItems':
      return fieldError(
        'Invalid',
        path,
        `${path} in body should have at least ${String(params.limit)} items`,
        'schema',
        value,
      );
    case 'maxProperties':
      return fieldError('TooMany', path, `must have at most ${String(params.limit)} items`, 'schema', {
        value: e.data !== null && typeof e.data === 'object' ? Object.keys(e.data).length : 0,
      });
    case 'minProperties':
      return fieldError(
        'Invalid',
        path,
        `${path} in body should have at least ${String(params.limit)} properties`,
        'schema',
        value,
      );
    case 'pattern':
      return fieldError('Invalid', path, `${path} in body should match '${String(params.pattern)}'`, 'schema', value);
    case 'format':
      return fieldError(
        'Invalid',
        path,
        `${path} in body must be of type ${String(params.format)}: ${JSON.stringify(e.data)}`,
        'schema',
        value,
      );
    case 'additionalProperties':
      return fieldError(
        'FieldValueUnknown',
        formatPath([...segments, field(String(params.additionalProperty))]),
        '',
        'schema',
      );
    case 'oneOf': {
      const keys = oneOfKeys(e.schema);
      const detail =
        keys.length > 0
          ? `only one of ${quoteList(keys)} may be set`
          : `${path} in body must validate one and only one schema (oneOf)`;
      return fieldError('Invalid', path, detail, 'schema', { value: jsonTypeName(e.data) });
    }
    case 'anyOf': {
      const types = Array.isArray(e.schema) ? e.schema.map((s: StructuralSchema) => s.type).filter(Boolean) : [];
      const detail =
        types.length > 0
          ? `${path} in body must be of type ${types.join(' or ')}: "${jsonTypeName(e.data)}"`
          : `${path} in body must validate at least one schema (anyOf)`;
      return fieldError('TypeInvalid', path, detail, 'schema', { value: jsonTypeName(e.data) });
    }
    case 'not':
      // Only reached inside oneOf branches, which are reported by the oneOf error itself.
      return undefined;
    default:
      return fieldError('Invalid', path, `${path} in body ${e.message ?? 'is invalid'}`, 'schema', value);
  }
}
