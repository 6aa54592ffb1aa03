import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { requireGenerated } from '../generated-code';
import { packageRoot } from '../package-root';
import { type CelValidator, compileCelValidator } from './cel/compile-cel-rules';
import { blocksCel, type FieldError } from './field-error';
import { type IstioKind, KindRegistry, parseApiVersion } from './kind-registry';
import { validateListTypes } from './list-types';
import { validateObjectMeta } from './object-meta';
import { envelopeSchema, toFieldErrors } from './structural-errors';

/**
 * `webhook`: the API server has already pruned unknown fields and checked metadata, so neither is reported.
 * `offline`: as `kubectl apply --validate=strict` would judge a file: unknown fields and bad metadata are errors.
 */
export type SchemaMode = 'webhook' | 'offline';

export type SchemaOutcome =
  /** `celSkipped`: structural errors stopped the CEL pass, as in the API server; more may follow once fixed. */
  { served: true; kind: IstioKind; errors: FieldError[]; celSkipped: boolean } | { served: false; reason: string };

interface CompiledKind {
  kind: IstioKind;
  envelope: ReturnType<typeof envelopeSchema>;
  webhook: ValidateFunction;
  cel: CelValidator;
}

type Validators = Record<string, ValidateFunction>;

const missingValidator = (kind: string) =>
  new Error(`meshguard: no precompiled validator for ${kind}; run \`npm run build\``);

/** Validates Istio objects the way the API server does against Istio's CRDs: structural schema, then CEL rules. */
export class IstioSchemas {
  private readonly compiled = new Map<string, CompiledKind>();
  private offlineValidators: Validators | undefined;
  /**
   * `compiled` again, by the looked-up kind object, filled by validate(): every review is validated, and a
   * `${group}/${kind}` key would be a new string to hash each time.
   */
  private readonly compiledByKind = new WeakMap<IstioKind, CompiledKind>();

  /**
   * `webhook`: `<Kind>` validators. `loadOffline`: the `<Kind>__strict` ones, loaded on the first offline
   * validation: `serve` never needs them, and they are as big as the webhook's.
   */
  constructor(
    readonly registry: KindRegistry,
    webhook: Validators,
    private readonly loadOffline: () => Validators,
  ) {
    for (const kind of registry.kinds) {
      const validate = webhook[kind.kind];
      if (!validate) throw missingValidator(kind.kind);
      this.compiled.set(`${kind.group}/${kind.kind}`, {
        kind,
        envelope: envelopeSchema(kind.schema),
        webhook: validate,
        cel: compileCelValidator(kind.schema),
      });
    }
  }

  /** Loads the validators `npm run generate` precompiled, so start-up never runs the ajv compiler. */
  static load(): IstioSchemas {
    const root = packageRoot();
    const registry = KindRegistry.load(join(root, 'schemas/generated/crds.json'));
    const generated = (file: string) => (): Validators =>
      requireGenerated(join(root, 'schemas/generated', file)) as Validators;
    return new IstioSchemas(registry, generated('validators.js')(), generated('validators-strict.js'));
  }

  private offline(kind: IstioKind): ValidateFunction {
    this.offlineValidators ??= this.loadOffline();
    const validate = this.offlineValidators[`${kind.kind}__strict`];
    if (!validate) throw missingValidator(`${kind.kind} (offline)`);
    return validate;
  }

  get celRuleCount(): number {
    let n = 0;
    for (const c of this.compiled.values()) n += c.cel.ruleCount;
    return n;
  }

  validate(object: Record<string, unknown>, mode: SchemaMode): SchemaOutcome {
    const apiVersion = object.apiVersion;
    const kindName = object.kind;
    if (typeof apiVersion !== 'string' || apiVersion === '') return { served: false, reason: 'apiVersion is not set' };
    if (typeof kindName !== 'string' || kindName === '') return { served: false, reason: 'kind is not set' };
    const { group, version } = parseApiVersion(apiVersion);
    const lookup = this.registry.lookup({ group, version, kind: kindName });
    if (!lookup.ok) return { served: false, reason: lookup.reason };
    let compiled = this.compiledByKind.get(lookup.kind);
    if (compiled === undefined) {
      compiled = this.compiled.get(`${group}/${kindName}`) as CompiledKind;
      this.compiledByKind.set(lookup.kind, compiled);
    }

    // Appended one by one: `push(...list)` passes every error as an argument and overflows the stack for a list of
    // a hundred thousand wrong items (found by `npm run fuzz`).
    const errors: FieldError[] = [];
    const add = (list: readonly FieldError[]) => {
      for (const e of list) errors.push(e);
    };
    if (mode === 'offline') add(validateObjectMeta(object));
    const validate = mode === 'offline' ? this.offline(compiled.kind) : compiled.webhook;
    if (!validate(object)) add(toFieldErrors(validate.errors ?? [], object, compiled.envelope));
    add(validateListTypes(object, compiled.kind.schema));
    // Metadata is checked by the API server before the object's schema; only schema errors stop the CEL pass.
    const celSkipped = errors.some((e) => e.origin === 'schema' && blocksCel(e));
    if (!celSkipped) add(compiled.cel.validate(object));
    return { served: true, kind: compiled.kind, errors, celSkipped };
  }
}
