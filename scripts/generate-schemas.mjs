#!/usr/bin/env node
// Derives everything meshguard needs at run time from the vendored Istio CRDs
// (schemas/istio/crds.gen.yaml), so the server never compiles a schema at start-up:
//   schemas/generated/crds.json              served kinds and versions, and each kind's openAPIV3Schema
//   schemas/generated/validators.js          ajv standalone validators for the webhook, one per kind
//   schemas/generated/validators-strict.js   the offline (`meshguard check`) ones, `<Kind>__strict`
// The two validator files are separate because `serve` never judges offline: compiling code it does not run
// would cost its start-up tens of milliseconds.
// Run by `npm run build` (and so by `npm test`); the output is not committed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import addFormats from 'ajv-formats';
import { loadAll } from 'js-yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'schemas/istio/crds.gen.yaml');
const outDir = join(root, 'schemas/generated');

/** Formats Kubernetes ignores (it only checks a fixed registry, and these are not in it). */
const ANNOTATION_FORMATS = ['int', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float', 'string'];
/** OpenAPI extensions that carry no validation for ajv; CEL rules run in a separate pass. */
const ANNOTATION_KEYWORDS = [
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-embedded-resource',
];

export function newAjv(options = {}) {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    allowUnionTypes: true,
    ...options,
  });
  addFormats(ajv, ['date-time', 'byte']);
  for (const f of ANNOTATION_FORMATS) ajv.addFormat(f, true);
  for (const k of ANNOTATION_KEYWORDS)
    ajv.addKeyword({ keyword: k, schemaType: ['boolean', 'string', 'array', 'object'] });
  // OpenAPI annotations that JSON Schema does not know.
  for (const k of ['example', 'externalDocs']) ajv.addKeyword(k);
  return ajv;
}

/**
 * Keywords that only document a schema. Nothing reads them at run time (ajv ignores them, and error messages are
 * built from the validating keywords), yet they are most of the CRDs' bytes: with `verbose` ajv embeds the schema
 * in the generated code, and `serve` parses crds.json and validators.js at start-up.
 */
const DOCUMENTATION_KEYWORDS = new Set(['description', 'example', 'externalDocs']);
/** Where a JSON Schema holds schemas: one, a list of them, or a map of names to them. */
const SUBSCHEMA = ['additionalProperties', 'additionalItems', 'items', 'not', 'contains', 'propertyNames'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas'];

/**
 * The schema without DOCUMENTATION_KEYWORDS. Walks schema positions only, so a property, an enum value or a
 * default that happens to be called `description` is kept.
 */
export function withoutDocumentation(schema) {
  if (Array.isArray(schema)) return schema.map(withoutDocumentation);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (DOCUMENTATION_KEYWORDS.has(k)) continue;
    if (SUBSCHEMA.includes(k) || SUBSCHEMA_LISTS.includes(k)) out[k] = withoutDocumentation(v);
    else if (SUBSCHEMA_MAPS.includes(k) && v !== null && typeof v === 'object')
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, withoutDocumentation(s)]));
    else out[k] = v;
  }
  return out;
}

/** The CRD schema describes spec and status; the API server itself checks apiVersion, kind and metadata. */
export function objectSchema(openAPIV3Schema) {
  return {
    ...openAPIV3Schema,
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      ...openAPIV3Schema.properties,
    },
  };
}

/**
 * `kubectl --validate=strict`: a field the schema does not describe is an error instead of being pruned.
 * Objects that preserve unknown fields or are maps (additionalProperties) keep accepting anything.
 */
export function strictSchema(node) {
  if (Array.isArray(node)) return node.map(strictSchema);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, strictSchema(s)]))
        : strictSchema(v);
  }
  if (node.properties && node.additionalProperties === undefined && !node['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * ajv compiles a schema into one function, and V8 never optimizes a function of more than 60 KiB of bytecode
 * (max_optimized_bytecode_size): DestinationRule's came to 322 KiB, VirtualService's 175 KiB, Sidecar's and
 * Telemetry's just over the limit, so they ran in the interpreter. Moving large subschemas into `definitions`
 * behind a `$ref` (compiled with `inlineRefs: false`) makes ajv emit one function per moved subschema.
 *
 * The bound is on a subschema's JSON once its own large parts were moved; ajv emits about 10 bytes of bytecode
 * per byte of it (verbose, allErrors). At 1,000 the largest function has 10 KiB of bytecode; it also validated
 * the bench objects fastest and made the smallest file of 500, 700, 1,000, 2,000 and 4,000 (smaller bounds move
 * more identical subschemas, which are then shared, but call more functions).
 */
const SPLIT_JSON_BYTES = 1000;

const isSchemaObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The schema with large subschemas moved into `definitions`; identical ones (DestinationRule's trafficPolicy in
 * spec and in each subset, AuthorizationPolicy's ipBlocks and its 11 twins) share one, so their code is emitted once.
 *
 * Only subschemas reached through properties, items and additionalProperties are moved, never one under
 * oneOf/anyOf/allOf/not: inside a moved subschema ajv's error schemaPath starts again at `#`, and
 * structural-errors.ts drops the errors under a failed oneOf/anyOf by that combinator's schemaPath prefix, which
 * therefore must lie in the same function as the branches' errors. Error order is unchanged: ajv reports a called
 * function's errors where the inlined code would have reported them.
 */
export function splitLargeSubschemas(schema, maxBytes = SPLIT_JSON_BYTES) {
  const definitions = {};
  const nameByJson = new Map();
  const hoist = (node, name) => {
    const json = JSON.stringify(node);
    let ref = nameByJson.get(json);
    if (ref === undefined) {
      // A JSON pointer in a URI fragment: only characters that need no escaping in either.
      const base = name.replace(/[^A-Za-z0-9_.-]/g, '_');
      ref = base;
      for (let i = 2; Object.hasOwn(definitions, ref); i++) ref = `${base}-${i}`;
      nameByJson.set(json, ref);
      definitions[ref] = node;
    }
    return { $ref: `#/definitions/${ref}` };
  };
  /** `node` with its children split, then its largest children moved out until it fits (or none is left). */
  const split = (node, name) => {
    const out = { ...node };
    /** [holder, key, name] of each child schema that may move. */
    const children = [];
    if (isSchemaObject(node.properties)) {
      out.properties = { ...node.properties };
      for (const p of Object.keys(node.properties)) children.push([out.properties, p, `${name}.${p}`]);
    }
    if (isSchemaObject(node.items)) children.push([out, 'items', `${name}.items`]);
    if (isSchemaObject(node.additionalProperties)) children.push([out, 'additionalProperties', `${name}.values`]);
    for (const [holder, key, childName] of children) {
      if (isSchemaObject(holder[key])) holder[key] = split(holder[key], childName);
    }
    const size = (s) => JSON.stringify(s).length;
    const movable = children.filter(([holder, key]) => isSchemaObject(holder[key]));
    movable.sort((a, b) => size(b[0][b[1]]) - size(a[0][a[1]]));
    for (const [holder, key, childName] of movable) {
      if (size(out) <= maxBytes) break;
      holder[key] = hoist(holder[key], childName);
    }
    return out;
  };
  const root = split(schema, 'root');
  return Object.keys(definitions).length === 0 ? root : { ...root, definitions };
}

function main() {
  const docs = loadAll(readFileSync(source, 'utf8'));
  const kinds = [];
  const ajv = newAjv({ code: { source: true, esm: false }, inlineRefs: false });
  const webhookExports = {};
  const strictExports = {};
  for (const crd of docs) {
    const { group, names, versions } = crd.spec;
    const schemas = versions.map((v) => JSON.stringify(v.schema.openAPIV3Schema));
    if (new Set(schemas).size !== 1) {
      // The validator is compiled once per kind; a CRD whose versions differ would need one per version.
      throw new Error(`${names.kind}: versions carry different schemas; generate-schemas.mjs must compile per version`);
    }
    const schema = withoutDocumentation(versions[0].schema.openAPIV3Schema);
    kinds.push({
      group,
      kind: names.kind,
      plural: names.plural,
      singular: names.singular,
      shortNames: names.shortNames ?? [],
      versions: versions.filter((v) => v.served).map((v) => v.name),
      storageVersion: versions.find((v) => v.storage).name,
      schema,
    });
    const id = names.kind;
    ajv.addSchema(splitLargeSubschemas(objectSchema(schema)), `${id}`);
    ajv.addSchema(splitLargeSubschemas(strictSchema(objectSchema(schema))), `${id}__strict`);
    webhookExports[id] = id;
    strictExports[`${id}__strict`] = `${id}__strict`;
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'crds.json'), JSON.stringify({ source: 'schemas/istio/crds.gen.yaml', kinds }));
  // standaloneCode emits only the exported validators (and what they reference), so each file holds one mode.
  writeFileSync(join(outDir, 'validators.js'), standaloneCode(ajv, webhookExports));
  writeFileSync(join(outDir, 'validators-strict.js'), standaloneCode(ajv, strictExports));
  const count = Object.keys(webhookExports).length + Object.keys(strictExports).length;
  console.log(`generate-schemas: ${kinds.length} kinds, ${count} validators -> ${outDir}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
