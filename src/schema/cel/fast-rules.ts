/**
 * The common shapes of the Istio CRD rules compiled to plain JavaScript over the decoded JSON, beside the general
 * @bufbuild/cel program. Through @bufbuild/cel a rule costs about a microsecond (a value view, an activation,
 * reflective overload resolution, BigInt arithmetic) while the rules themselves are `has()` counts, port ranges,
 * label-key checks and duration bounds that plain code answers in tens of nanoseconds.
 *
 * A fast rule answers only when it is sure to give what the general program gives: `true` or `false`. Anything
 * else (data that does not fit the schema, an absent field read, a value that would make CEL fail, a function it
 * does not know) answers UNSURE, and the caller runs the general program, which then also words any error. So a
 * fast rule never has to reproduce an error, only the plain results, and every construct it does not know simply
 * compiles to UNSURE. Differential tests (fast-rules.test.ts) hold it to the general program's answers.
 */
import type { parse } from '@bufbuild/cel';
import { RE2JS } from '@bufbuild/re2';
import { parseGoDuration } from '../go-duration';
import type { ObjectShape, Shape } from './compile-cel-rules';

type Expr = ReturnType<typeof parse>['expr'];

/** What a fast rule answers when the general program must decide. */
export const UNSURE: unique symbol = Symbol('unsure');
export type FastAnswer = boolean | typeof UNSURE;
export type FastRule = (self: unknown) => FastAnswer;

/**
 * What an expression yields, known at compile time. At run time values are the decoded JSON itself: strings, ints
 * as JS numbers (integers, as the schema's int typing requires), booleans, durations as BigInt nanoseconds, and
 * objects, maps and lists as the raw records and arrays, read through the schema shape carried here.
 */
type Type =
  | { readonly t: 'string' | 'int' | 'bool' | 'intOrString' | 'duration' | 'emptyList' | 'emptyMap' | 'opaque' }
  | { readonly t: 'object'; readonly shape: ObjectShape }
  | { readonly t: 'list'; readonly items: Shape }
  | { readonly t: 'map'; readonly values: Shape };

/** A frame holds `self` in slot 0 and comprehension variables after it. */
type Frame = unknown[];
type Eval = (frame: Frame) => unknown;

interface Compiled {
  readonly ev: Eval;
  readonly type: Type;
}

interface Scope {
  readonly vars: ReadonlyMap<string, { readonly slot: number; readonly type: Type }>;
  /** Slots used so far (shared by nested scopes, so each variable gets its own). */
  readonly slots: { n: number };
}

const OPAQUE: Compiled = { ev: () => UNSURE, type: { t: 'opaque' } };
const EMPTY_LIST: readonly unknown[] = Object.freeze([]);
const EMPTY_MAP: Readonly<Record<string, unknown>> = Object.freeze({});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/**
 * How a value of `shape` is read: the checks toCel() makes before the general program sees it (a string must be a
 * string, an int an integer, an object a record, ...). A null or a mismatch is UNSURE: the general program then
 * reports the conversion error or reads the null as CEL does. Shapes CEL sees as doubles or dynamic data are
 * opaque.
 */
function reader(shape: Shape): { read: (v: unknown) => unknown; type: Type } {
  switch (shape.kind) {
    case 'string':
      return { read: (v) => (typeof v === 'string' ? v : UNSURE), type: { t: 'string' } };
    case 'int':
      return { read: (v) => (isInt(v) ? v : UNSURE), type: { t: 'int' } };
    case 'bool':
      return { read: (v) => (typeof v === 'boolean' ? v : UNSURE), type: { t: 'bool' } };
    case 'intOrString':
      return { read: (v) => (typeof v === 'string' || isInt(v) ? v : UNSURE), type: { t: 'intOrString' } };
    case 'object':
      return { read: (v) => (isRecord(v) ? v : UNSURE), type: { t: 'object', shape } };
    case 'map':
      return { read: (v) => (isRecord(v) ? v : UNSURE), type: { t: 'map', values: shape.values } };
    case 'list':
      return { read: (v) => (Array.isArray(v) ? v : UNSURE), type: { t: 'list', items: shape.items } };
    default:
      return { read: () => UNSURE, type: { t: 'opaque' } };
  }
}

/** A fast rule for `expr` on values of `selfShape`, or undefined when it could never answer. */
export function compileFastRule(expr: Expr, selfShape: Shape): FastRule | undefined {
  const self = reader(selfShape);
  if (self.type.t === 'opaque') return undefined;
  const scope: Scope = { vars: new Map([['self', { slot: 0, type: self.type }]]), slots: { n: 1 } };
  const compiled = compile(expr, scope);
  if (compiled === OPAQUE) return undefined;
  const { ev } = compiled;
  const readSelf = self.read;
  const size = scope.slots.n;
  return (value) => {
    const root = readSelf(value);
    if (root === UNSURE) return UNSURE;
    // A frame per call (a few words) rather than one per rule: nothing can then leak from one evaluation into another.
    const frame: Frame = new Array(size);
    frame[0] = root;
    try {
      const result = ev(frame);
      return typeof result === 'boolean' ? result : UNSURE;
    } catch {
      // Plain code should not throw; if it ever does, the general program decides.
      return UNSURE;
    }
  };
}

function compile(expr: Expr, scope: Scope): Compiled {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'constExpr':
      return constant(kind.value.constantKind);
    case 'identExpr': {
      const v = scope.vars.get(kind.value.name);
      if (v === undefined) return OPAQUE;
      const slot = v.slot;
      return { ev: (f) => f[slot], type: v.type };
    }
    case 'selectExpr':
      return select(kind.value.operand, kind.value.field, kind.value.testOnly, scope);
    case 'callExpr':
      return call(kind.value.function, kind.value.target, kind.value.args, scope);
    case 'listExpr':
      return kind.value.elements.length === 0 ? { ev: () => EMPTY_LIST, type: { t: 'emptyList' } } : OPAQUE;
    case 'structExpr':
      return kind.value.messageName === '' && kind.value.entries.length === 0
        ? { ev: () => EMPTY_MAP, type: { t: 'emptyMap' } }
        : OPAQUE;
    case 'comprehensionExpr':
      return comprehension(kind.value, scope);
    default:
      return OPAQUE;
  }
}

type ConstantKind = Extract<Expr['exprKind'], { case: 'constExpr' }>['value']['constantKind'];

function constant(c: ConstantKind): Compiled {
  switch (c.case) {
    case 'stringValue': {
      const s = c.value;
      return { ev: () => s, type: { t: 'string' } };
    }
    case 'boolValue': {
      const b = c.value;
      return { ev: () => b, type: { t: 'bool' } };
    }
    case 'int64Value': {
      // Ints are JS numbers here, exact only within the safe range; larger literals take the general program.
      const n = Number(c.value);
      if (!Number.isSafeInteger(n)) return OPAQUE;
      return { ev: () => n, type: { t: 'int' } };
    }
    default:
      return OPAQUE;
  }
}

/** `x.f` and `has(x.f)` on an object with properties, as ObjectView presents it (undeclared fields are invisible). */
function select(operandExpr: Expr | undefined, field: string, testOnly: boolean, scope: Scope): Compiled {
  if (operandExpr === undefined) return OPAQUE;
  const operand = compile(operandExpr, scope);
  if (operand.type.t !== 'object') return OPAQUE;
  const shape = operand.type.shape;
  const name = shape.byCelName.get(field);
  const propShape = name === undefined ? undefined : shape.properties.get(name);
  const of = operand.ev;
  if (name === undefined || propShape === undefined) {
    // has() of a field the schema does not declare is false; reading it is an error (general program).
    return testOnly ? { ev: (f) => (of(f) === UNSURE ? UNSURE : false), type: { t: 'bool' } } : OPAQUE;
  }
  const { read, type } = reader(propShape);
  if (testOnly) {
    // has() converts a present value, so one that does not fit the schema makes it fail: UNSURE.
    return {
      ev: (f) => {
        const o = of(f) as Record<string, unknown> | typeof UNSURE;
        if (o === UNSURE) return UNSURE;
        if (!Object.hasOwn(o, name)) return false;
        const v = o[name];
        if (v === null || v === undefined) return false;
        return read(v) === UNSURE ? UNSURE : true;
      },
      type: { t: 'bool' },
    };
  }
  return {
    ev: (f) => {
      const o = of(f) as Record<string, unknown> | typeof UNSURE;
      if (o === UNSURE || !Object.hasOwn(o, name)) return UNSURE;
      const v = o[name];
      return v === null || v === undefined ? UNSURE : read(v);
    },
    type,
  };
}

/** The type both branches of a conditional share, or opaque. */
function unify(a: Type, b: Type): Type {
  if (a.t === 'opaque' || b.t === 'opaque') return { t: 'opaque' };
  if (a.t === 'list' && (b.t === 'emptyList' || (b.t === 'list' && b.items === a.items))) return a;
  if (b.t === 'list' && a.t === 'emptyList') return b;
  if (a.t === 'map' && (b.t === 'emptyMap' || (b.t === 'map' && b.values === a.values))) return a;
  if (b.t === 'map' && a.t === 'emptyMap') return b;
  if (a.t === 'object' && b.t === 'object') return a.shape === b.shape ? a : { t: 'opaque' };
  if (a.t === b.t && a.t !== 'list' && a.t !== 'map' && a.t !== 'object') return a;
  return { t: 'opaque' };
}

const COMPARE: ReadonlyMap<string, (a: number | string | bigint, b: number | string | bigint) => boolean> = new Map([
  ['_<_', (a, b) => a < b],
  ['_<=_', (a, b) => a <= b],
  ['_>_', (a, b) => a > b],
  ['_>=_', (a, b) => a >= b],
]);

/** Values `==` compares here: the same kind of primitive on both sides (CEL's cross-type cases go general). */
function sameKind(a: unknown, b: unknown): boolean {
  const t = typeof a;
  return (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') && t === typeof b;
}

/** Unicode code points, as CEL's size() counts a string (a lone surrogate counts as one). */
export function codePointCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

const BOOL: Type = { t: 'bool' };
const INT: Type = { t: 'int' };

function call(fn: string, targetExpr: Expr | undefined, argExprs: readonly Expr[], scope: Scope): Compiled {
  if (targetExpr !== undefined) return method(fn, targetExpr, argExprs, scope);
  const args = argExprs.map((a) => compile(a, scope));
  const [a, b, c] = args;
  switch (fn) {
    case '_?_:_': {
      if (a === undefined || b === undefined || c === undefined || a === OPAQUE) return OPAQUE;
      const [cond, yes, no] = [a.ev, b.ev, c.ev];
      return {
        ev: (f) => {
          const v = cond(f);
          return v === true ? yes(f) : v === false ? no(f) : UNSURE;
        },
        type: unify(b.type, c.type),
      };
    }
    case '_&&_':
    case '_||_': {
      // CEL's && and || also absorb errors and are commutative; answering only when the left decides, or when
      // both are plain booleans, gives the same results without modelling that.
      const stop = fn === '_||_';
      if (args.every((x) => x === OPAQUE)) return OPAQUE;
      const evs = args.map((x) => x.ev);
      return {
        ev: (f) => {
          for (const e of evs) {
            const v = e(f);
            if (v === stop) return stop;
            if (v !== !stop) return UNSURE;
          }
          return !stop;
        },
        type: BOOL,
      };
    }
    case '!_': {
      if (a === undefined || a === OPAQUE) return OPAQUE;
      const x = a.ev;
      return {
        ev: (f) => {
          const v = x(f);
          return typeof v === 'boolean' ? !v : UNSURE;
        },
        type: BOOL,
      };
    }
    case '_==_':
    case '_!=_': {
      if (a === undefined || b === undefined || a === OPAQUE || b === OPAQUE) return OPAQUE;
      const [l, r] = [a.ev, b.ev];
      const negate = fn === '_!=_';
      return {
        ev: (f) => {
          const x = l(f);
          const y = r(f);
          if (!sameKind(x, y)) return UNSURE;
          return (x === y) !== negate;
        },
        type: BOOL,
      };
    }
    case '_+_': {
      if (a === undefined || b === undefined || a === OPAQUE || b === OPAQUE) return OPAQUE;
      const [l, r] = [a.ev, b.ev];
      const type: Type = a.type.t === 'string' && b.type.t === 'string' ? { t: 'string' } : INT;
      return {
        ev: (f) => {
          const x = l(f);
          const y = r(f);
          if (typeof x === 'string' && typeof y === 'string') return x + y;
          if (!isInt(x) || !isInt(y)) return UNSURE;
          const sum = x + y;
          return Number.isSafeInteger(sum) ? sum : UNSURE;
        },
        type,
      };
    }
    case '@in':
      return inList(argExprs, scope);
    case 'size':
      return a === undefined || args.length !== 1 ? OPAQUE : size(a);
    case 'int': {
      if (a === undefined || a === OPAQUE || args.length !== 1) return OPAQUE;
      const x = a.ev;
      return {
        ev: (f) => {
          const v = x(f);
          if (isInt(v)) return v;
          // strconv.ParseInt's syntax, kept to numbers a JS number holds exactly; the rest goes general.
          return typeof v === 'string' && /^[+-]?[0-9]{1,15}$/.test(v) ? Number(v) : UNSURE;
        },
        type: INT,
      };
    }
    case 'duration': {
      if (a === undefined || args.length !== 1) return OPAQUE;
      const literal = constOf(argExprs[0]);
      if (literal !== undefined) {
        // A literal bound such as duration('1ms'), parsed once; an invalid one always fails (general program).
        const parsed = literal.case === 'stringValue' ? parseGoDuration(literal.value) : undefined;
        if (parsed?.ok !== true) return OPAQUE;
        const nanos = parsed.nanos;
        return { ev: () => nanos, type: { t: 'duration' } };
      }
      if (a === OPAQUE) return OPAQUE;
      const x = a.ev;
      return {
        ev: (f) => {
          const v = x(f);
          if (typeof v !== 'string') return UNSURE;
          const parsed = parseGoDuration(v);
          return parsed.ok ? parsed.nanos : UNSURE;
        },
        type: { t: 'duration' },
      };
    }
    default: {
      const compare = COMPARE.get(fn);
      if (compare === undefined || a === undefined || b === undefined || args.length !== 2) return OPAQUE;
      if (a === OPAQUE || b === OPAQUE) return OPAQUE;
      const [l, r] = [a.ev, b.ev];
      return {
        ev: (f) => {
          const x = l(f);
          const y = r(f);
          // Ints with ints, strings with strings (JS order, as @bufbuild/cel compares them), durations with durations.
          if (!sameKind(x, y) || typeof x === 'boolean') return UNSURE;
          return compare(x as number | string | bigint, y as number | string | bigint);
        },
        type: BOOL,
      };
    }
  }
}

/** `x in [literal, ...]`: CEL equality against each constant. */
function inList(argExprs: readonly Expr[], scope: Scope): Compiled {
  const [needleExpr, listExpr] = argExprs;
  if (needleExpr === undefined || listExpr?.exprKind.case !== 'listExpr') return OPAQUE;
  const values: unknown[] = [];
  for (const element of listExpr.exprKind.value.elements) {
    if (element.exprKind.case !== 'constExpr') return OPAQUE;
    const c = constant(element.exprKind.value.constantKind);
    if (c === OPAQUE) return OPAQUE;
    values.push(c.ev([]));
  }
  const compiledNeedle = compile(needleExpr, scope);
  if (compiledNeedle === OPAQUE) return OPAQUE;
  const needle = compiledNeedle.ev;
  return {
    ev: (f) => {
      const v = needle(f);
      if (typeof v !== 'string' && !isInt(v) && typeof v !== 'boolean') return UNSURE;
      for (const x of values) {
        if (!sameKind(x, v)) return UNSURE;
        if (x === v) return true;
      }
      return false;
    },
    type: BOOL,
  };
}

function size(operand: Compiled): Compiled {
  const x = operand.ev;
  switch (operand.type.t) {
    case 'string':
    case 'intOrString':
      return {
        ev: (f) => {
          const v = x(f);
          return typeof v === 'string' ? codePointCount(v) : UNSURE;
        },
        type: INT,
      };
    case 'list':
    case 'emptyList':
      return {
        ev: (f) => {
          const v = x(f);
          return Array.isArray(v) ? v.length : UNSURE;
        },
        type: INT,
      };
    case 'map':
    case 'emptyMap':
      return {
        ev: (f) => {
          const v = x(f);
          return isRecord(v) ? Object.keys(v).length : UNSURE;
        },
        type: INT,
      };
    default:
      return OPAQUE;
  }
}

const STRING_METHODS: ReadonlyMap<string, (s: string, arg: string) => boolean> = new Map([
  ['contains', (s: string, arg: string) => s.includes(arg)],
  ['startsWith', (s: string, arg: string) => s.startsWith(arg)],
  ['endsWith', (s: string, arg: string) => s.endsWith(arg)],
]);

function method(fn: string, targetExpr: Expr, argExprs: readonly Expr[], scope: Scope): Compiled {
  const target = compile(targetExpr, scope);
  if (target === OPAQUE) return OPAQUE;
  if (fn === 'size' && argExprs.length === 0) return size(target);
  const [argExpr] = argExprs;
  if (argExpr === undefined || argExprs.length !== 1) return OPAQUE;
  const t = target.ev;
  const stringMethod = STRING_METHODS.get(fn);
  if (stringMethod !== undefined) {
    const arg = compile(argExpr, scope).ev;
    return {
      ev: (f) => {
        const s = t(f);
        const x = arg(f);
        return typeof s === 'string' && typeof x === 'string' ? stringMethod(s, x) : UNSURE;
      },
      type: BOOL,
    };
  }
  if (fn === 'matches') {
    // A literal pattern, compiled once; @bufbuild/cel calls the same RE2JS test() on it.
    const k = argExpr.exprKind;
    if (k.case !== 'constExpr' || k.value.constantKind.case !== 'stringValue') return OPAQUE;
    let re: RE2JS;
    try {
      re = RE2JS.compile(k.value.constantKind.value);
    } catch {
      return OPAQUE;
    }
    return {
      ev: (f) => {
        const s = t(f);
        return typeof s === 'string' ? re.test(s) : UNSURE;
      },
      type: BOOL,
    };
  }
  return OPAQUE;
}

type Comprehension = Extract<Expr['exprKind'], { case: 'comprehensionExpr' }>['value'];

function isIdent(e: Expr | undefined, name: string): boolean {
  return e?.exprKind.case === 'identExpr' && e.exprKind.value.name === name;
}

function callOf(e: Expr | undefined, fn: string): readonly Expr[] | undefined {
  return e?.exprKind.case === 'callExpr' && e.exprKind.value.function === fn && e.exprKind.value.target === undefined
    ? e.exprKind.value.args
    : undefined;
}

function constOf(e: Expr | undefined): ConstantKind | undefined {
  return e?.exprKind.case === 'constExpr' ? e.exprKind.value.constantKind : undefined;
}

/**
 * The macros all(), exists() and exists_one() as the parser expands them, recognised by their exact shape; their
 * predicate is compiled with the iteration variable in scope. Any other comprehension is opaque.
 */
function comprehension(c: Comprehension, scope: Scope): Compiled {
  if (c.iterVar2 !== '' || c.iterVar === '') return OPAQUE;
  const accu = c.accuVar;
  const init = constOf(c.accuInit);
  let macro: 'all' | 'exists' | 'exists_one' | undefined;
  let predicate: Expr | undefined;
  const fn = c.loopStep?.exprKind.case === 'callExpr' ? c.loopStep.exprKind.value.function : '';
  const step = callOf(c.loopStep, fn);
  if (init?.case === 'boolValue' && isIdent(c.result, accu) && step?.length === 2 && isIdent(step[0], accu)) {
    const cond = callOf(c.loopCondition, '@not_strictly_false');
    if (init.value === true && fn === '_&&_' && cond?.length === 1 && isIdent(cond[0], accu)) {
      macro = 'all';
      predicate = step[1];
    } else if (init.value === false && fn === '_||_' && cond?.length === 1) {
      const not = callOf(cond[0], '!_');
      if (not?.length === 1 && isIdent(not[0], accu)) {
        macro = 'exists';
        predicate = step[1];
      }
    }
  } else if (init?.case === 'int64Value' && init.value === 0n && fn === '_?_:_' && step?.length === 3) {
    const cond = constOf(c.loopCondition);
    const plus = callOf(step[1], '_+_');
    const one = constOf(plus?.[1]);
    const result = callOf(c.result, '_==_');
    const resultOne = constOf(result?.[1]);
    if (
      cond?.case === 'boolValue' &&
      cond.value === true &&
      isIdent(plus?.[0], accu) &&
      one?.case === 'int64Value' &&
      one.value === 1n &&
      isIdent(step[2], accu) &&
      result?.length === 2 &&
      isIdent(result[0], accu) &&
      resultOne?.case === 'int64Value' &&
      resultOne.value === 1n
    ) {
      macro = 'exists_one';
      predicate = step[0];
    }
  }
  if (macro === undefined || predicate === undefined || c.iterRange === undefined) return OPAQUE;

  const range = compile(c.iterRange, scope);
  let itemType: Type;
  let readItem: (v: unknown) => unknown;
  let keys = false;
  switch (range.type.t) {
    case 'list': {
      const r = reader(range.type.items);
      itemType = r.type;
      readItem = r.read;
      break;
    }
    case 'map':
      // A map iterates over its keys, which JSON makes strings.
      itemType = { t: 'string' };
      readItem = (v) => v;
      keys = true;
      break;
    case 'emptyList':
    case 'emptyMap':
      itemType = { t: 'opaque' };
      readItem = () => UNSURE;
      break;
    default:
      return OPAQUE;
  }
  const slot = scope.slots.n++;
  const inner: Scope = { vars: new Map([...scope.vars, [c.iterVar, { slot, type: itemType }]]), slots: scope.slots };
  const pred = compile(predicate, inner).ev;
  const rangeEv = range.ev;
  const kind = macro;
  return {
    ev: (f) => {
      const r = rangeEv(f);
      if (r === UNSURE || r === null || typeof r !== 'object') return UNSURE;
      const items: readonly unknown[] = keys ? Object.keys(r) : Array.isArray(r) ? r : [];
      // @bufbuild/cel reads every item before it folds (Array.from), so one that cannot be read makes the macro
      // fail even where an earlier item would have decided it.
      for (let i = 0; i < items.length; i++) if (readItem(items[i]) === UNSURE) return UNSURE;
      let count = 0;
      for (let i = 0; i < items.length; i++) {
        f[slot] = readItem(items[i]);
        const p = pred(f);
        if (typeof p !== 'boolean') return UNSURE;
        if (kind === 'all' && !p) return false;
        if (kind === 'exists' && p) return true;
        if (p) count++;
      }
      return kind === 'all' ? true : kind === 'exists' ? false : count === 1;
    },
    type: BOOL,
  };
}
