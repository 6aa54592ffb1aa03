/**
 * Evaluates the `x-kubernetes-validations` CEL rules of a CRD's openAPIV3Schema the way kube-apiserver does
 * (k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/validation.go and values.go):
 *   - a rule on a schema node runs once for every non-null value at that node (each item of an array schema's
 *     `items`, each value of an `additionalProperties` map), with `self` bound to that value;
 *   - values are typed by the schema (integer → int, number → double, objects with properties → objects whose absent
 *     or null fields fail has(), additionalProperties → maps, int-or-string and preserve-unknown-fields → dynamic);
 *   - a false result is `field.Invalid(path, <schema type>, message)`, an evaluation error is
 *     `field.Invalid(path, <schema type>, "<error> evaluating rule: <message>")`.
 * Not reproduced: the runtime cost budget (the Istio rules are far below it); rules that use oldSelf, which
 * validate() skips as the API server does when there is no old object (it would run those marked optionalOldSelf,
 * with oldSelf unset; the Istio CRDs have none); ratcheting of unchanged values on update; and the typing of string
 * formats (date-time, duration and byte stay strings; no Istio rule reads such a field).
 * Rules with fieldPath, reason and messageExpression are honoured.
 * Each rule site first asks its fast rule (fast-rules.ts: the common rule shapes as plain JavaScript over the JSON
 * value), which answers only when sure; otherwise, and to word every failure, the @bufbuild/cel program runs.
 */
import {
  type CelInput,
  type CelResult,
  CelScalar,
  celEnv,
  celError,
  celList,
  celMap,
  isCelError,
  parse,
  plan,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { RE2JS } from '@bufbuild/re2';
import { type FieldError, fieldError } from '../field-error';
import { field, formatPath, index, key, type PathSegment } from '../field-path';
import { parseGoDuration } from '../go-duration';
import { compileFastRule, type FastRule, UNSURE } from './fast-rules';
import { celDurationNanos, kubernetesCelFunctions } from './kubernetes-cel-library';

export interface CelValidator {
  /** Errors from every rule that fails or cannot be evaluated, in the API server's wording. */
  validate(object: unknown): FieldError[];
  /** How many x-kubernetes-validations rules the schema carries (each counted once per schema node). */
  readonly ruleCount: number;
}

// ---------------------------------------------------------------------------------------------------------------
// The CEL environment and the per-expression cache

/**
 * RE2 like the API server's Go regexp (JS RegExp differs on syntax such as lookarounds and \z). Compiling costs
 * ~10 µs against ~1 µs for a match, so compiled patterns are kept; the cap guards against patterns built from data.
 */
const compiledPatterns = new Map<string, RE2JS>();
const MAX_COMPILED_PATTERNS = 256;
const re2 = {
  compile(pattern: string): RE2JS {
    let compiled = compiledPatterns.get(pattern);
    if (compiled === undefined) {
      compiled = RE2JS.compile(pattern);
      if (compiledPatterns.size >= MAX_COMPILED_PATTERNS) compiledPatterns.clear();
      compiledPatterns.set(pattern, compiled);
    }
    return compiled;
  },
};

const env = celEnv({
  variables: { self: CelScalar.DYN },
  funcs: [...strings, ...kubernetesCelFunctions],
  re2,
});

type Program = (bindings: { self: CelInput }) => CelResult;

export type CompiledExpression =
  | {
      ok: true;
      program: Program;
      usesOldSelf: boolean;
      /** The parsed expression, from which each rule site compiles its fast rule (fast-rules.ts). */
      expr: Expr;
    }
  | { ok: false; error: string; usesOldSelf: boolean };

/**
 * Parsed and planned expressions by source text. The Istio CRDs repeat the same few dozen rule texts over ~160
 * places and 15 kinds, so every validator compiled with the same cache shares the work.
 */
export class CelRuleCache {
  private readonly compiled = new Map<string, CompiledExpression>();

  get size(): number {
    return this.compiled.size;
  }

  compile(expression: string): CompiledExpression {
    let entry = this.compiled.get(expression);
    if (entry === undefined) {
      entry = compileExpression(expression);
      this.compiled.set(expression, entry);
    }
    return entry;
  }
}

export const sharedCelRuleCache = new CelRuleCache();

function compileExpression(expression: string): CompiledExpression {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expression);
  } catch (e) {
    return { ok: false, error: errorText(e), usesOldSelf: false };
  }
  const usesOldSelf = mentionsIdent(parsed.expr, 'oldSelf');
  try {
    const general: Program = plan(env, parsed);
    return { ok: true, program: durationComparison(parsed.expr, general) ?? general, usesOldSelf, expr: parsed.expr };
  } catch (e) {
    return { ok: false, error: errorText(e), usesOldSelf };
  }
}

type Expr = ReturnType<typeof parse>['expr'];

const COMPARISONS: ReadonlyMap<string, (a: bigint, b: bigint) => boolean> = new Map([
  ['_<_', (a: bigint, b: bigint) => a < b],
  ['_<=_', (a: bigint, b: bigint) => a <= b],
  ['_>_', (a: bigint, b: bigint) => a > b],
  ['_>=_', (a: bigint, b: bigint) => a >= b],
  ['_==_', (a: bigint, b: bigint) => a === b],
  ['_!=_', (a: bigint, b: bigint) => a !== b],
]);

/** `duration(<arg>)` with no receiver: its argument expression. */
function durationArgument(e: Expr | undefined): Expr | undefined {
  if (e?.exprKind.case !== 'callExpr') return undefined;
  const call = e.exprKind.value;
  return call.function === 'duration' && call.target === undefined && call.args.length === 1 ? call.args[0] : undefined;
}

/**
 * `duration(self) <cmp> duration('<literal>')`, the rule of 66 of the Istio CRDs' 159 rule sites, evaluated
 * natively: the same Go parser and error, then a comparison of nanoseconds. Through @bufbuild/cel it costs two
 * protobuf Duration messages and reflective overload resolution, ~7 µs per value. Anything but a string self
 * (int-or-string data) takes the general program.
 */
function durationComparison(expr: Expr, general: Program): Program | undefined {
  if (expr.exprKind.case !== 'callExpr') return undefined;
  const call = expr.exprKind.value;
  const compare = COMPARISONS.get(call.function);
  if (compare === undefined || call.target !== undefined || call.args.length !== 2) return undefined;
  const self = durationArgument(call.args[0]);
  const literal = durationArgument(call.args[1]);
  if (self?.exprKind.case !== 'identExpr' || self.exprKind.value.name !== 'self') return undefined;
  if (literal?.exprKind.case !== 'constExpr' || literal.exprKind.value.constantKind.case !== 'stringValue')
    return undefined;
  const bound = parseGoDuration(literal.exprKind.value.constantKind.value);
  if (!bound.ok) return undefined;
  const limit = bound.nanos;
  return (bindings) => {
    const value = bindings.self;
    if (typeof value !== 'string') return general(bindings);
    try {
      return compare(celDurationNanos(value), limit);
    } catch (e) {
      return celError(errorText(e));
    }
  };
}

/** Whether the AST has an identifier `name`; walks the protobuf message tree generically. */
function mentionsIdent(node: unknown, name: string): boolean {
  if (typeof node !== 'object' || node === null) return false;
  if (Array.isArray(node)) return node.some((n) => mentionsIdent(n, name));
  if (!isRecord(node)) return false;
  if (node.$typeName === 'cel.expr.Expr.Ident' && node.name === name) return true;
  for (const value of Object.values(node)) {
    if (typeof value === 'object' && value !== null && mentionsIdent(value, name)) return true;
  }
  return false;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** @bufbuild/cel's wording for failures that cel-go, and so the API server, words differently. */
function celGoErrorText(message: string): string {
  const missing = /^field not found: (.*)$/s.exec(message);
  if (missing) return `no such key: ${missing[1]}`;
  if (message.startsWith('found no matching overload')) return 'no such overload';
  return message;
}

// ---------------------------------------------------------------------------------------------------------------
// How schema nodes present values to CEL (values.go UnstructuredToVal)

export type Shape =
  | { kind: 'string' | 'int' | 'double' | 'bool' | 'intOrString' | 'dynamic'; nullable: boolean }
  | ObjectShape
  | { kind: 'map'; nullable: boolean; values: Shape }
  | { kind: 'list'; nullable: boolean; items: Shape }
  | { kind: 'invalid'; nullable: boolean; reason: string };

export interface ObjectShape {
  kind: 'object';
  nullable: boolean;
  /** CEL field name (escaped, see escapeCelIdent) → property name. */
  byCelName: ReadonlyMap<string, string>;
  /** Property name → CEL field name, for iteration. */
  celNameOf: ReadonlyMap<string, string>;
  properties: ReadonlyMap<string, Shape>;
}

type Schema = Record<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const shapes = new WeakMap<Schema, Shape>();

function shapeOf(schema: Schema): Shape {
  let shape = shapes.get(schema);
  if (shape === undefined) {
    shape = buildShape(schema);
    shapes.set(schema, shape);
  }
  return shape;
}

function buildShape(schema: Schema): Shape {
  const nullable = schema.nullable === true;
  if (schema['x-kubernetes-int-or-string'] === true) return { kind: 'intOrString', nullable };
  switch (schema.type) {
    case 'string':
      return { kind: 'string', nullable };
    case 'integer':
      return { kind: 'int', nullable };
    case 'number':
      return { kind: 'double', nullable };
    case 'boolean':
      return { kind: 'bool', nullable };
    case 'array':
      return isRecord(schema.items)
        ? { kind: 'list', nullable, items: shapeOf(schema.items) }
        : { kind: 'invalid', nullable, reason: 'invalid array type, expected Items with a non-empty Schema' };
    case 'object': {
      if (isRecord(schema.properties)) return objectShape(schema.properties, nullable);
      if (isRecord(schema.additionalProperties)) {
        return { kind: 'map', nullable, values: shapeOf(schema.additionalProperties) };
      }
      // Preserved unknown fields are invisible to CEL: the object reads as empty.
      if (schema['x-kubernetes-preserve-unknown-fields'] === true) return objectShape({}, nullable);
      return {
        kind: 'invalid',
        nullable,
        reason:
          'invalid object type, expected either Properties or AdditionalProperties with Allows=true and non-empty Schema',
      };
    }
    default:
      if (schema['x-kubernetes-preserve-unknown-fields'] === true) return { kind: 'dynamic', nullable };
      return {
        kind: 'invalid',
        nullable,
        reason: `invalid type, expected object, array, number, integer, boolean or string, or no type with x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields is true, got ${String(schema.type ?? '')}`,
      };
  }
}

function objectShape(properties: Record<string, unknown>, nullable: boolean): ObjectShape {
  const byCelName = new Map<string, string>();
  const celNameOf = new Map<string, string>();
  const props = new Map<string, Shape>();
  for (const [name, propSchema] of Object.entries(properties)) {
    if (!isRecord(propSchema)) continue;
    props.set(name, shapeOf(propSchema));
    const celName = escapeCelIdent(name);
    if (celName !== undefined) {
      byCelName.set(celName, name);
      celNameOf.set(name, celName);
    }
  }
  return { kind: 'object', nullable, byCelName, celNameOf, properties: props };
}

/** The root of a custom resource also shows apiVersion, kind and metadata.name/generateName to its rules. */
function resourceRootShape(schema: Schema): Shape {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  return objectShape(
    {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', properties: { name: { type: 'string' }, generateName: { type: 'string' } } },
      ...properties,
    },
    false,
  );
}

const CEL_RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);
const ESCAPES: Readonly<Record<string, string>> = {
  __: '__underscores__',
  '.': '__dot__',
  '-': '__dash__',
  '/': '__slash__',
};

/** Kubernetes' property-name escaping (apiserver/pkg/cel/escaping.go); undefined when CEL cannot name it. */
export function escapeCelIdent(ident: string): string | undefined {
  if (ident === '' || (ident[0] !== undefined && ident[0] >= '0' && ident[0] <= '9')) return undefined;
  if (CEL_RESERVED.has(ident)) return `__${ident}__`;
  if (!/^[a-zA-Z0-9_./-]*$/.test(ident)) return undefined;
  return ident.replace(/__|[-./]/g, (m) => ESCAPES[m] ?? m);
}

class ConversionError extends Error {}

/** Go's %T for a decoded JSON value, which the API server quotes when data does not fit the schema. */
function goTypeName(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

function toCel(value: unknown, shape: Shape): CelInput {
  if (value === null || value === undefined) {
    if (shape.nullable) return null;
    throw new ConversionError('invalid data, got null for schema with nullable=false');
  }
  switch (shape.kind) {
    case 'string':
      if (typeof value === 'string') return value;
      throw new ConversionError(`invalid data, expected string, got ${goTypeName(value)}`);
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      throw new ConversionError(`invalid data, expected int, got ${goTypeName(value)}`);
    case 'double':
      if (typeof value === 'number') return value;
      throw new ConversionError(`invalid data, expected float, got ${goTypeName(value)}`);
    case 'bool':
      if (typeof value === 'boolean') return value;
      throw new ConversionError(`invalid data, expected bool, got ${goTypeName(value)}`);
    case 'intOrString':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      throw new ConversionError('invalid data, expected XIntOrString value to be either a string or integer');
    case 'dynamic':
      return dynamicToCel(value);
    case 'object':
      if (!isRecord(value))
        throw new ConversionError('invalid data, expected a map for the provided schema with type=object');
      return celMap(new ObjectView(value, shape));
    case 'map':
      if (!isRecord(value))
        throw new ConversionError('invalid data, expected a map for the provided schema with type=object');
      return celMap(new MapView(value, shape.values));
    case 'list': {
      if (!Array.isArray(value)) {
        throw new ConversionError('invalid data, expected an array for the provided schema with type=array');
      }
      return celList(convertItems(value, shape.items));
    }
    case 'invalid':
      throw new ConversionError(shape.reason);
  }
}

/**
 * List items, converted up front (objects convert to views, so this is cheap) unless one cannot be: the API server
 * converts items when read, so `has(self.endpoints)` or `size()` must not fail on an item no rule reads (a null
 * one, say). Only then is the slower lazy list used.
 */
function convertItems(items: readonly unknown[], shape: Shape): readonly CelInput[] {
  const out: CelInput[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    try {
      out[i] = toCel(items[i], shape);
    } catch (e) {
      if (e instanceof ConversionError) return lazyItems(items, shape);
      throw e;
    }
  }
  return out;
}

/**
 * A list whose items are converted when read. @bufbuild/cel reads a list through `length`, indexing and
 * `values()`, which this proxy serves from a per-list cache.
 */
function lazyItems(items: readonly unknown[], shape: Shape): readonly CelInput[] {
  const converted = new Map<number, CelInput>();
  const item = (i: number): CelInput => {
    let v = converted.get(i);
    if (v === undefined) {
      v = toCel(items[i], shape);
      converted.set(i, v);
    }
    return v;
  };
  return new Proxy<CelInput[]>([], {
    get(target, prop, receiver) {
      if (prop === 'length') return items.length;
      if (prop === 'values' || prop === Symbol.iterator) {
        return function* values(): Generator<CelInput> {
          for (let i = 0; i < items.length; i++) yield item(i);
        };
      }
      if (typeof prop === 'string') {
        const i = Number(prop);
        if (Number.isInteger(i) && i >= 0 && String(i) === prop) return i < items.length ? item(i) : undefined;
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

/** Data under x-kubernetes-preserve-unknown-fields, which the API server only lets rules compare for equality. */
function dynamicToCel(value: unknown): CelInput {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return celList(value.map(dynamicToCel));
  if (isRecord(value)) return celMap(new Map(Object.entries(value).map(([k, v]) => [k, dynamicToCel(v)])));
  throw new ConversionError(`invalid data, got ${typeof value}`);
}

/**
 * An object with properties, converted field by field on access: a rule usually reads two or three fields of a
 * large spec. Fields the schema does not declare are invisible (the API server prunes them before validating),
 * and a null field reads as absent.
 */
class ObjectView implements ReadonlyMap<string, CelInput> {
  /** Fields already converted: has() converts too, and the rules of a node share one view of its value. */
  private converted: Map<string, CelInput> | undefined;

  constructor(
    private readonly value: Record<string, unknown>,
    private readonly shape: ObjectShape,
  ) {}

  get size(): number {
    let n = 0;
    for (const name of Object.keys(this.value)) if (this.shape.properties.has(name)) n++;
    return n;
  }

  get(celName: string): CelInput | undefined {
    if (typeof celName !== 'string') return undefined;
    const cached = this.converted?.get(celName);
    if (cached !== undefined) return cached;
    const name = this.shape.byCelName.get(celName);
    if (name === undefined || !Object.hasOwn(this.value, name)) return undefined;
    const v = this.value[name];
    const propShape = this.shape.properties.get(name);
    if (v === null || v === undefined || propShape === undefined) return undefined;
    const c = toCel(v, propShape);
    this.converted ??= new Map();
    this.converted.set(celName, c);
    return c;
  }

  has(celName: string): boolean {
    if (typeof celName !== 'string') return false;
    const name = this.shape.byCelName.get(celName);
    return (
      name !== undefined &&
      Object.hasOwn(this.value, name) &&
      this.value[name] !== null &&
      this.value[name] !== undefined
    );
  }

  *keys(): MapIterator<string> {
    for (const name of Object.keys(this.value)) {
      if (!this.shape.properties.has(name)) continue;
      yield this.shape.celNameOf.get(name) ?? name;
    }
  }

  *values(): MapIterator<CelInput> {
    for (const [, v] of this.entries()) yield v;
  }

  *entries(): MapIterator<[string, CelInput]> {
    for (const k of this.keys()) {
      const v = this.get(k);
      if (v !== undefined) yield [k, v];
    }
  }

  [Symbol.iterator](): MapIterator<[string, CelInput]> {
    return this.entries();
  }

  forEach(callback: (value: CelInput, key: string, map: ReadonlyMap<string, CelInput>) => void): void {
    for (const [k, v] of this.entries()) callback(v, k, this);
  }
}

/** An additionalProperties map, converted value by value on access. */
class MapView implements ReadonlyMap<string, CelInput> {
  private converted: Map<string, CelInput> | undefined;

  constructor(
    private readonly value: Record<string, unknown>,
    private readonly values_: Shape,
  ) {}

  get size(): number {
    return Object.keys(this.value).length;
  }

  get(k: string): CelInput | undefined {
    if (typeof k !== 'string') return undefined;
    const cached = this.converted?.get(k);
    if (cached !== undefined) return cached;
    if (!Object.hasOwn(this.value, k)) return undefined;
    const c = toCel(this.value[k], this.values_);
    this.converted ??= new Map();
    this.converted.set(k, c);
    return c;
  }

  has(k: string): boolean {
    return typeof k === 'string' && Object.hasOwn(this.value, k);
  }

  *keys(): MapIterator<string> {
    yield* Object.keys(this.value);
  }

  *values(): MapIterator<CelInput> {
    for (const [, v] of this.entries()) yield v;
  }

  *entries(): MapIterator<[string, CelInput]> {
    for (const k of Object.keys(this.value)) {
      const v = this.get(k);
      if (v !== undefined) yield [k, v];
    }
  }

  [Symbol.iterator](): MapIterator<[string, CelInput]> {
    return this.entries();
  }

  forEach(callback: (value: CelInput, key: string, map: ReadonlyMap<string, CelInput>) => void): void {
    for (const [k, v] of this.entries()) callback(v, k, this);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Compiling a schema into a tree of validator nodes

type Reason = 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';

interface CompiledRule {
  readonly expression: CompiledExpression;
  readonly messageExpression: CompiledExpression | undefined;
  /** `fieldPath`, resolved against the schema: where a failure is reported, below the node. */
  readonly fieldPath: readonly PathSegment[];
  readonly fieldPathError: string | undefined;
  readonly reason: Reason | undefined;
  /** ruleErrorString: the message, or the rule text when there is none. */
  readonly label: string;
  /** ruleMessageOrDefault: what a false result reports. */
  readonly failureDetail: string;
  /**
   * The rule compiled to plain JavaScript for this site's schema (see fast-rules.ts), on first use: undefined until
   * then, null when it has none. Built lazily, like the node's shape, to keep start-up short.
   */
  fast: FastRule | null | undefined;
}

interface ValidatorNode {
  readonly rules: readonly CompiledRule[];
  /** The schema `type` the API server quotes as the "value" of a CEL error ("" for int-or-string). */
  readonly typeName: string;
  readonly shape: () => Shape;
  readonly properties: ReadonlyArray<readonly [name: string, segment: PathSegment, node: ValidatorNode]>;
  readonly items: ValidatorNode | undefined;
  readonly additionalProperties: ValidatorNode | undefined;
  readonly allOf: readonly ValidatorNode[];
}

export interface CompileCelOptions {
  /** Defaults to a cache shared by every validator in the process. */
  cache?: CelRuleCache;
  /**
   * What a failed rule quotes as the bad value. Kubernetes up to 1.34 quotes the schema type
   * (`spec.port: Invalid value: "integer": ...`); from 1.35 it quotes the value itself for scalars and nothing for
   * objects and arrays (`spec.port: Invalid value: 0: ...`, `spec: Invalid value: only one of ...`). Evaluation
   * errors quote the schema type in both. Default: 'schemaType'.
   */
  failureValue?: 'schemaType' | 'value';
  /** Whether rules may be answered by their fast rules (fast-rules.ts); off only to test them against the general path. */
  fastRules?: boolean;
}

interface WalkContext {
  readonly path: PathSegment[];
  readonly errors: FieldError[];
  readonly quoteValue: boolean;
  readonly fastRules: boolean;
}

export function compileCelValidator(schema: unknown, options: CompileCelOptions = {}): CelValidator {
  const cache = options.cache ?? sharedCelRuleCache;
  const counter = { rules: 0 };
  const root = isRecord(schema) ? buildNode(schema, schema, true, cache, counter) : undefined;
  const quoteValue = options.failureValue === 'value';
  const fastRules = options.fastRules ?? true;
  return {
    ruleCount: counter.rules,
    validate(object: unknown): FieldError[] {
      const ctx: WalkContext = { path: [], errors: [], quoteValue, fastRules };
      if (root !== undefined) walk(root, object, ctx);
      return ctx.errors;
    },
  };
}

/**
 * Mirrors validator() in validation.go: a node exists only where rules sit at or below it, so validate() never
 * descends into parts of an object that no rule can see. allOf branches contribute rules evaluated against the
 * node's own schema.
 */
function buildNode(
  validationSchema: Schema,
  nodeSchema: Schema,
  isResourceRoot: boolean,
  cache: CelRuleCache,
  counter: { rules: number },
): ValidatorNode | undefined {
  const rawRules = Array.isArray(validationSchema['x-kubernetes-validations'])
    ? validationSchema['x-kubernetes-validations'].filter(isRecord)
    : [];
  const rules = rawRules.map((r) => compileRule(r, nodeSchema, cache));
  counter.rules += rules.length;

  const properties: Array<readonly [string, PathSegment, ValidatorNode]> = [];
  const validationProps = isRecord(validationSchema.properties) ? validationSchema.properties : {};
  const nodeProps = isRecord(nodeSchema.properties) ? nodeSchema.properties : {};
  for (const [name, propSchema] of Object.entries(validationProps)) {
    const nodeProp = nodeProps[name];
    if (!isRecord(propSchema) || !isRecord(nodeProp)) continue;
    const child = buildNode(propSchema, nodeProp, false, cache, counter);
    if (child !== undefined) properties.push([name, field(name), child]);
  }

  const items =
    isRecord(validationSchema.items) && isRecord(nodeSchema.items)
      ? buildNode(validationSchema.items, nodeSchema.items, false, cache, counter)
      : undefined;
  const additionalProperties =
    isRecord(validationSchema.additionalProperties) && isRecord(nodeSchema.additionalProperties)
      ? buildNode(validationSchema.additionalProperties, nodeSchema.additionalProperties, false, cache, counter)
      : undefined;
  const allOf: ValidatorNode[] = [];
  if (Array.isArray(validationSchema.allOf)) {
    for (const branch of validationSchema.allOf) {
      if (!isRecord(branch)) continue;
      const node = buildNode(branch, nodeSchema, isResourceRoot, cache, counter);
      if (node !== undefined) allOf.push(node);
    }
  }

  if (rules.length === 0 && properties.length === 0 && !items && !additionalProperties && allOf.length === 0) {
    return undefined;
  }
  let shape: Shape | undefined;
  return {
    rules,
    typeName: typeof nodeSchema.type === 'string' ? nodeSchema.type : '',
    // Built on first use: most nodes only route to children and never convert a value themselves.
    shape: () => {
      shape ??= isResourceRoot ? resourceRootShape(nodeSchema) : shapeOf(nodeSchema);
      return shape;
    },
    properties,
    items,
    additionalProperties,
    allOf,
  };
}

const REASONS: readonly Reason[] = [
  'FieldValueInvalid',
  'FieldValueForbidden',
  'FieldValueRequired',
  'FieldValueDuplicate',
];

function isReason(v: unknown): v is Reason {
  return REASONS.some((r) => r === v);
}

function compileRule(raw: Record<string, unknown>, nodeSchema: Schema, cache: CelRuleCache): CompiledRule {
  const rule = typeof raw.rule === 'string' ? raw.rule : '';
  const message = typeof raw.message === 'string' ? raw.message.trim() : '';
  const label = message !== '' ? message : rule.trim();
  const fieldPath =
    typeof raw.fieldPath === 'string' && raw.fieldPath !== '' ? resolveFieldPath(raw.fieldPath, nodeSchema) : undefined;
  return {
    expression: cache.compile(rule),
    messageExpression:
      typeof raw.messageExpression === 'string' && raw.messageExpression !== ''
        ? cache.compile(raw.messageExpression)
        : undefined,
    fieldPath: fieldPath?.ok ? fieldPath.segments : [],
    fieldPathError: fieldPath !== undefined && !fieldPath.ok ? fieldPath.error : undefined,
    reason: isReason(raw.reason) ? raw.reason : undefined,
    label,
    failureDetail: message !== '' ? message : `failed rule: ${rule.trim()}`,
    fast: undefined,
  };
}

/**
 * A rule's `fieldPath` (`.spec.x`, `.labels['app.kubernetes.io/name']`) as path segments, named fields for
 * properties and keys for map entries, like ValidFieldPath.
 */
function resolveFieldPath(
  path: string,
  schema: Schema,
): { ok: true; segments: PathSegment[] } | { ok: false; error: string } {
  const segments: PathSegment[] = [];
  let current: Schema = schema;
  let rest = path;
  const step = (name: string): string | undefined => {
    if (isRecord(current.properties)) {
      const next = current.properties[name];
      if (!isRecord(next)) return 'does not refer to a valid field';
      segments.push(field(name));
      current = next;
      return undefined;
    }
    if (isRecord(current.additionalProperties)) {
      segments.push(key(name));
      current = current.additionalProperties;
      return undefined;
    }
    return 'does not refer to a valid field';
  };
  while (rest !== '') {
    let problem: string | undefined;
    if (rest.startsWith('.')) {
      const m = /^\.([^.[\]]+)/.exec(rest);
      if (!m?.[1])
        return { ok: false, error: `invalid fieldPath ${JSON.stringify(path)}: unexpected end of JSON path` };
      problem = step(m[1]);
      rest = rest.slice(m[0].length);
    } else if (rest.startsWith("['")) {
      const m = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest);
      if (!m || m[1] === undefined)
        return { ok: false, error: `invalid fieldPath ${JSON.stringify(path)}: expected single quoted string` };
      problem = step(m[1].replace(/\\(.)/g, '$1'));
      rest = rest.slice(m[0].length);
    } else {
      return { ok: false, error: `invalid fieldPath ${JSON.stringify(path)}: expected [ or . but got: ${rest}` };
    }
    if (problem !== undefined) return { ok: false, error: `invalid fieldPath ${JSON.stringify(path)}: ${problem}` };
  }
  return { ok: true, segments };
}

// ---------------------------------------------------------------------------------------------------------------
// Validating an object

function walk(node: ValidatorNode, value: unknown, ctx: WalkContext): void {
  // Only non-null values are validated; presence is for the enclosing object's rules to check.
  if (value === null || value === undefined) return;
  if (node.rules.length > 0) runRules(node, value, ctx);
  for (const branch of node.allOf) walk(branch, value, ctx);
  const { path } = ctx;
  if (Array.isArray(value)) {
    if (node.items === undefined) return;
    for (let i = 0; i < value.length; i++) {
      path.push(index(i));
      walk(node.items, value[i], ctx);
      path.pop();
    }
    return;
  }
  if (!isRecord(value)) return;
  if (node.additionalProperties !== undefined) {
    for (const k of Object.keys(value)) {
      path.push(key(k));
      walk(node.additionalProperties, value[k], ctx);
      path.pop();
    }
  }
  for (const [name, segment, child] of node.properties) {
    if (!Object.hasOwn(value, name)) continue;
    path.push(segment);
    walk(child, value[name], ctx);
    path.pop();
  }
}

const MAX_MESSAGE_EXPRESSION_BYTES = 5 * 1024;
const utf8 = new TextEncoder();

function runRules(node: ValidatorNode, value: unknown, ctx: WalkContext): void {
  const { path, errors } = ctx;
  // Converted for the general program only when a rule needs it: fast rules read the JSON value itself.
  let converted = false;
  let self: CelInput = null;
  let conversionError: string | undefined;
  const convert = (): void => {
    if (converted) return;
    converted = true;
    try {
      self = toCel(value, node.shape());
    } catch (e) {
      conversionError = errorText(e);
    }
  };

  for (const rule of node.rules) {
    const { expression } = rule;
    // Transition rules need the old object, which admission of a new object does not have.
    if (expression.usesOldSelf) continue;
    if (!expression.ok) {
      errors.push(invalidAt(node, path, `rule compile error: ${expression.error}`));
      continue;
    }
    if (rule.fieldPathError !== undefined) {
      errors.push(invalidAt(node, path, `rule compile error: ${rule.fieldPathError}`));
      continue;
    }
    if (ctx.fastRules && rule.fast === undefined) rule.fast = compileFastRule(expression.expr, node.shape()) ?? null;
    const answer = ctx.fastRules && rule.fast ? rule.fast(value) : UNSURE;
    if (answer === true) continue;
    convert();
    const result: Evaluation =
      conversionError !== undefined
        ? { ok: false, error: conversionError }
        : answer === false
          ? { ok: true, value: false }
          : evaluate(expression.program, self);
    if (!result.ok) {
      const text = celGoErrorText(result.error);
      errors.push(
        invalidAt(
          node,
          path,
          text.startsWith('no such overload')
            ? `'${text}': call arguments did not match a supported operator, function or macro signature for rule: ${rule.label}`
            : `${text} evaluating rule: ${rule.label}`,
        ),
      );
      continue;
    }
    if (result.value === true) continue;

    const at = rule.fieldPath.length > 0 ? [...path, ...rule.fieldPath] : path;
    const detail = messageFromExpression(rule, self) ?? rule.failureDetail;
    const shown = !ctx.quoteValue
      ? { value: node.typeName }
      : node.typeName === 'object' || node.typeName === 'array'
        ? undefined
        : { value };
    errors.push(errorForReason(rule.reason, formatPath(at), detail, shown));
  }
}

function invalidAt(node: ValidatorNode, path: readonly PathSegment[], detail: string): FieldError {
  return fieldError('Invalid', formatPath(path), detail, 'cel', { value: node.typeName });
}

type Evaluation = { ok: true; value: unknown } | { ok: false; error: string };

function evaluate(program: Program, self: CelInput): Evaluation {
  try {
    const result = program({ self });
    if (isCelError(result)) return { ok: false, error: result.message };
    return { ok: true, value: result };
  } catch (e) {
    // A defect in a function or in the library must fail the rule, never the whole admission.
    return { ok: false, error: errorText(e) };
  }
}

/** The evaluated messageExpression, or undefined to fall back to the static message, as the API server does. */
function messageFromExpression(rule: CompiledRule, self: CelInput): string | undefined {
  const m = rule.messageExpression;
  if (m === undefined || !m.ok) return undefined;
  const result = evaluate(m.program, self);
  if (!result.ok || typeof result.value !== 'string') return undefined;
  const trimmed = result.value.trim();
  if (trimmed === '' || trimmed.includes('\n') || utf8.encode(trimmed).length > MAX_MESSAGE_EXPRESSION_BYTES) {
    return undefined;
  }
  return trimmed;
}

/** fieldErrorForReason; `shown` is the bad value to quote, if any. */
function errorForReason(
  reason: Reason | undefined,
  path: string,
  detail: string,
  shown: { value: unknown } | undefined,
): FieldError {
  switch (reason) {
    case 'FieldValueForbidden':
      return fieldError('Forbidden', path, detail, 'cel');
    case 'FieldValueRequired':
      return fieldError('Required', path, detail, 'cel');
    case 'FieldValueDuplicate':
      return fieldError('Duplicate', path, '', 'cel', shown);
    default:
      return fieldError('Invalid', path, detail, 'cel', shown);
  }
}
