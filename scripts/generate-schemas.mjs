#!/usr/bin/env node
// Derives everything meshguard needs at run time from the vendored Istio CRDs
// (schemas/istio/crds.gen.yaml), so the server never compiles a schema at start-up:
//   schemas/generated/crds.json     served kinds and versions, and each kind's openAPIV3Schema
//   schemas/generated/validators.js ajv standalone validators, one per kind and mode
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

/** The CRD schema describes spec and status; the API server itself checks apiVersion, kind and metadata. */
function objectSchema(openAPIV3Schema) {
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
function strictSchema(node) {
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

function main() {
  const docs = loadAll(readFileSync(source, 'utf8'));
  const kinds = [];
  const ajv = newAjv({ code: { source: true, esm: false } });
  const exportsMap = {};
  for (const crd of docs) {
    const { group, names, versions } = crd.spec;
    const schemas = versions.map((v) => JSON.stringify(v.schema.openAPIV3Schema));
    if (new Set(schemas).size !== 1) {
      // The validator is compiled once per kind; a CRD whose versions differ would need one per version.
      throw new Error(`${names.kind}: versions carry different schemas; generate-schemas.mjs must compile per version`);
    }
    const schema = versions[0].schema.openAPIV3Schema;
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
    ajv.addSchema(objectSchema(schema), `${id}`);
    ajv.addSchema(strictSchema(objectSchema(schema)), `${id}__strict`);
    exportsMap[id] = id;
    exportsMap[`${id}__strict`] = `${id}__strict`;
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'crds.json'), JSON.stringify({ source: 'schemas/istio/crds.gen.yaml', kinds }));
  writeFileSync(join(outDir, 'validators.js'), standaloneCode(ajv, exportsMap));
  console.log(`generate-schemas: ${kinds.length} kinds, ${Object.keys(exportsMap).length} validators -> ${outDir}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
