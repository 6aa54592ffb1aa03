#!/usr/bin/env node
// Differential check of the generated validators (schemas/generated/validators*.js, whose large subschemas
// generate-schemas.mjs splits into functions of their own) against validators compiled from the same schemas
// unsplit, as one function per kind. Both go through IstioSchemas.validate in webhook and offline mode, over the
// Istio validation cases, every fixture under policies/*/fixtures and bench/objects, objects generated from each
// kind's schema, and seeded random mutations of all of these; any difference in the field errors is a failure.
// Needs `npm run build` (dist and schemas/generated). test/schema/split-validators.test.ts runs a short version.
//
//   node scripts/diff-validators.mjs                         every kind, 40 mutants per object
//   node scripts/diff-validators.mjs --kinds DestinationRule,VirtualService --mutants 10 --seed 7
//   node scripts/diff-validators.mjs --old /tmp/main/schemas/generated    the reference from another build's files
//
// Exit 0 when no object was judged differently; otherwise the first differences are printed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAll } from 'js-yaml';
import { newAjv, objectSchema, strictSchema } from './generate-schemas.mjs';

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const { IstioSchemas } = require(join(root, 'dist/src/schema/istio-schemas.js'));
const { KindRegistry } = require(join(root, 'dist/src/schema/kind-registry.js'));

const { values: args } = parseArgs({
  options: {
    kinds: { type: 'string' },
    mutants: { type: 'string', default: '40' },
    seed: { type: 'string', default: '1' },
    generated: { type: 'string', default: '3' },
    old: { type: 'string' },
  },
});
const MUTANTS = Number(args.mutants);
/** Objects generated from each kind's schema (per kind and seed object count), mutated like the others. */
const GENERATED = Number(args.generated);

const registry = KindRegistry.load(join(root, 'schemas/generated/crds.json'));
const kinds = args.kinds ? new Set(args.kinds.split(',')) : new Set(registry.kinds.map((k) => k.kind));
for (const k of kinds) {
  if (!registry.kinds.some((r) => r.kind === k)) throw new Error(`unknown kind ${k}`);
}

/** Validators in one function per kind: what generate-schemas.mjs emitted before it split them. */
function referenceValidators() {
  if (args.old) {
    return {
      webhook: require(join(args.old, 'validators.js')),
      offline: require(join(args.old, 'validators-strict.js')),
    };
  }
  const ajv = newAjv();
  const webhook = {};
  const offline = {};
  for (const k of registry.kinds) {
    if (!kinds.has(k.kind)) continue;
    webhook[k.kind] = ajv.compile(objectSchema(k.schema));
    offline[`${k.kind}__strict`] = ajv.compile(strictSchema(objectSchema(k.schema)));
  }
  return { webhook, offline };
}

const generatedDir = join(root, 'schemas/generated');
const current = new IstioSchemas(registry, require(join(generatedDir, 'validators.js')), () =>
  require(join(generatedDir, 'validators-strict.js')),
);
const ref = referenceValidators();
const reference = new IstioSchemas(
  registry,
  new Proxy(ref.webhook, { get: (t, k) => t[k] ?? (() => true) }),
  () => ref.offline,
);

// ---- corpus --------------------------------------------------------------------------------------------------

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function* files(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ya?ml|json)$/.test(name)) yield path;
  }
}

/** Istio objects in a fixture: plain documents, or the objects of an AdmissionReview. */
function objectsIn(doc) {
  if (!isObject(doc)) return [];
  if (doc.kind === 'AdmissionReview') return [doc.request?.object, doc.request?.oldObject].filter(isObject);
  if (doc.kind === 'List' && Array.isArray(doc.items)) return doc.items.filter(isObject);
  return [doc];
}

function seedObjects() {
  const out = [];
  const casesFile = join(root, '../shared/istio-validation-cases/cases.jsonl');
  if (existsSync(casesFile)) {
    for (const line of readFileSync(casesFile, 'utf8').split('\n')) if (line.trim()) out.push(JSON.parse(line).object);
  }
  const dirs = [join(root, 'bench/objects')];
  for (const p of readdirSync(join(root, 'policies'))) dirs.push(join(root, 'policies', p, 'fixtures'));
  for (const dir of dirs) {
    for (const file of files(dir)) {
      let docs;
      try {
        docs = loadAll(readFileSync(file, 'utf8'));
      } catch {
        continue;
      }
      for (const d of docs) out.push(...objectsIn(d));
    }
  }
  return out.filter((o) => kinds.has(o.kind) && typeof o.apiVersion === 'string');
}

// ---- seeded randomness ---------------------------------------------------------------------------------------

let state = Number(args.seed) >>> 0 || 1;
/** mulberry32 */
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];
const chance = (p) => random() < p;

const STRINGS = [
  '',
  'a',
  'foo',
  'foo.bar.svc.cluster.local',
  '*',
  '1s',
  '10ms',
  '-1s',
  '10',
  '1.5',
  'UNKNOWN',
  'x'.repeat(300),
];
const WRONG = ['text', 7, -3, 2.5, 1e12, true, null, [], ['a'], {}, { zz: 1 }];
/** A fresh copy: mutations edit the objects they reach. */
const wrong = () => structuredClone(pick(WRONG));

/** A value for `schema`, usually valid, sometimes not: enough to reach the validators' deep subschemas. */
function generate(schema, depth) {
  if (!isObject(schema)) return wrong();
  if (chance(0.05)) return wrong();
  if (Array.isArray(schema.enum)) return chance(0.85) ? pick(schema.enum) : `${pick(schema.enum)}X`;
  if (schema['x-kubernetes-int-or-string'] || Array.isArray(schema.anyOf)) return chance(0.5) ? 8080 : '50%';
  switch (schema.type) {
    case 'object': {
      const out = {};
      if (isObject(schema.properties)) {
        const p = depth > 6 ? 0.1 : 0.6;
        for (const [name, s] of Object.entries(schema.properties)) {
          if (chance(p) || schema.required?.includes(name)) out[name] = generate(s, depth + 1);
        }
      }
      if (isObject(schema.additionalProperties) && chance(0.5)) {
        out[pick(['k', 'app', 'x/y'])] = generate(schema.additionalProperties, depth + 1);
      }
      return out;
    }
    case 'array': {
      const n = depth > 6 ? Math.floor(random() * 2) : Math.floor(random() * 3);
      return Array.from({ length: n }, () => generate(schema.items, depth + 1));
    }
    case 'integer':
    case 'number': {
      const lo = schema.minimum ?? 0;
      const hi = schema.maximum ?? 100;
      if (chance(0.15)) return pick([lo - 1, hi + 1, 0.5, -1, 2 ** 40]);
      return lo + Math.floor(random() * Math.max(1, Math.min(hi - lo, 1000)));
    }
    case 'boolean':
      return chance(0.5);
    case 'string':
      return pick(STRINGS);
    default:
      return chance(0.5) ? pick(STRINGS) : {};
  }
}

/** Every [holder, key, schema] in `object`, walked along its schema (schema undefined where none describes it). */
function positions(object, schema) {
  const out = [];
  const walk = (value, s) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        out.push([value, i, s?.items]);
        walk(v, s?.items);
      });
    } else if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) {
        const child = s?.properties?.[k] ?? (isObject(s?.additionalProperties) ? s.additionalProperties : undefined);
        out.push([value, k, child]);
        walk(v, child);
      }
    }
  };
  walk(object, schema);
  return out;
}

/** Objects (with their schemas) in `object`, the root included. */
const objectNodes = (object, schema) => [
  [object, schema],
  ...positions(object, schema)
    .filter(([h, k]) => isObject(h[k]))
    .map(([h, k, s]) => [h[k], s]),
];

const MUTATIONS = [
  // A value of another type.
  (object, schema) => {
    const [holder, key] = pick(positions(object, schema));
    holder[key] = wrong();
  },
  // An enum value with a typo.
  (object, schema) => {
    const at = positions(object, schema).filter(([, , s]) => Array.isArray(s?.enum));
    if (at.length === 0) return false;
    const [holder, key, s] = pick(at);
    holder[key] = chance(0.5) ? `${holder[key]}X` : String(pick(s.enum)).toLowerCase();
  },
  // A number out of its range, or not an integer.
  (object, schema) => {
    const at = positions(object, schema).filter(([, , s]) => s?.type === 'integer' || s?.type === 'number');
    if (at.length === 0) return false;
    const [holder, key, s] = pick(at);
    holder[key] = pick([(s.maximum ?? 2 ** 31) + 1, (s.minimum ?? 0) - 1, 1.5, -(2 ** 40), 2 ** 53]);
  },
  // A string too long, empty or against its pattern.
  (object, schema) => {
    const at = positions(object, schema).filter(([, , s]) => s?.type === 'string');
    if (at.length === 0) return false;
    const [holder, key] = pick(at);
    holder[key] = pick(['', 'x'.repeat(70000), 'BAD VALUE$', '-', '1x']);
  },
  // A required field missing, or any field.
  (object, schema) => {
    const nodes = objectNodes(object, schema).filter(([o]) => Object.keys(o).length > 0);
    if (nodes.length === 0) return false;
    const [o, s] = pick(nodes);
    const required = (s?.required ?? []).filter((r) => Object.hasOwn(o, r));
    delete o[required.length > 0 && chance(0.7) ? pick(required) : pick(Object.keys(o))];
  },
  // A field the schema does not describe (an error offline).
  (object, schema) => {
    const [o] = pick(objectNodes(object, schema));
    o[pick(['unknownField', 'zz', 'Host'])] = wrong();
  },
  // A field the schema describes but the object lacks, with a generated value.
  (object, schema) => {
    const nodes = objectNodes(object, schema).filter(([, s]) => isObject(s?.properties));
    if (nodes.length === 0) return false;
    const [o, s] = pick(nodes);
    const name = pick(Object.keys(s.properties));
    o[name] = generate(s.properties[name], 3);
  },
  // An array element repeated (list-type set and map keys) or an array emptied.
  (object, schema) => {
    const at = positions(object, schema).filter(([h, k]) => Array.isArray(h[k]) && h[k].length > 0);
    if (at.length === 0) return false;
    const [holder, key] = pick(at);
    if (chance(0.7)) holder[key].push(structuredClone(holder[key][0]));
    else holder[key] = [];
  },
];

function mutate(object, schema) {
  const out = structuredClone(object);
  const count = 1 + Math.floor(random() * 3);
  for (let i = 0, tries = 0; i < count && tries < 20; tries++) {
    const spec = out.spec;
    if (!isObject(spec) && !chance(0.1)) {
      out.spec = {};
      continue;
    }
    if (pick(MUTATIONS)(out, schema) !== false) i++;
  }
  return out;
}

// ---- comparison ----------------------------------------------------------------------------------------------

const schemaOf = new Map(registry.kinds.map((k) => [k.kind, k.schema]));
const judged = (schemas, object, mode) => {
  try {
    const o = schemas.validate(object, mode);
    return JSON.stringify(o.served ? { errors: o.errors, celSkipped: o.celSkipped } : o);
  } catch (e) {
    return `threw ${e?.message}`;
  }
};

const seeds = seedObjects();
const objects = [...seeds];
for (const k of registry.kinds) {
  if (!kinds.has(k.kind)) continue;
  const perKind = seeds.filter((o) => o.kind === k.kind).length;
  for (let i = 0; i < GENERATED * Math.max(1, perKind); i++) {
    const spec = generate(k.schema.properties?.spec, 1);
    objects.push({
      apiVersion: `${k.group}/${k.storageVersion}`,
      kind: k.kind,
      metadata: { name: 'x', namespace: 'default' },
      spec,
    });
  }
}
const generatedCount = objects.length - seeds.length;
for (const o of objects.slice()) {
  for (let i = 0; i < MUTANTS; i++) objects.push(mutate(o, schemaOf.get(o.kind)));
}

let compared = 0;
let withSchemaErrors = 0;
const differences = [];
for (const object of objects) {
  for (const mode of ['webhook', 'offline']) {
    const a = judged(reference, object, mode);
    const b = judged(current, object, mode);
    compared++;
    if (a.includes('"origin":"schema"')) withSchemaErrors++;
    if (a !== b) differences.push({ mode, object, reference: a, current: b });
  }
}

console.log(
  `diff-validators: ${[...kinds].length} kinds; ${seeds.length} fixture objects, ${generatedCount} generated, ` +
    `${objects.length - seeds.length - generatedCount} mutants; ${compared} validations (webhook + offline), ` +
    `${withSchemaErrors} with schema errors; ${differences.length} differences`,
);
for (const d of differences.slice(0, 5)) {
  console.log(JSON.stringify(d.object));
  console.log(`  ${d.mode} reference: ${d.reference}\n  ${d.mode} current:   ${d.current}`);
}
process.exitCode = differences.length === 0 ? 0 : 1;
