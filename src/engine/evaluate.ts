import type { KubeObject } from '../admission/types';
import type { ClusterView } from '../cluster/types';
import type { ConfiguredPolicy, EngineConfig } from '../config/engine-config';
import { type FieldError, fieldError } from '../schema/field-error';
import type { IstioSchemas, SchemaMode } from '../schema/istio-schemas';
import { resolveAction } from './enforcement';
import { findExemption } from './exemptions';
import { type PolicyContext, type PolicyFinding, policyApplies } from './policy';
import type {
  DeadlineExceeded,
  EnforcementAction,
  EvaluationInput,
  ExemptedFinding,
  JudgedFinding,
  ObjectRef,
  Verdict,
} from './types';

export interface EngineContext {
  schemas: IstioSchemas;
  /** `webhook` trusts the API server's pruning; `offline` judges files as `kubectl --validate=strict` would. */
  mode: SchemaMode;
  config: EngineConfig;
  /** The clock, handed in so evaluation stays pure; defaults to the current time. */
  now?: Date;
  /**
   * A cooperative deadline (the webhook's; the CLI has none). Evaluation is synchronous, so it cannot be interrupted:
   * `clock()` is read before each policy, and once it reaches `at` the remaining policies are skipped and the verdict
   * says so (`deadlineExceeded`). Both come from the caller, so evaluation stays pure.
   */
  deadline?: EvaluationDeadline;
  /**
   * Read-only view of other objects for cross-object policies and namespace-label overrides: the webhook's informer
   * cache, the CLI's set of files. Absent: cross-object policies check nothing and label selectors match nothing.
   */
  cluster?: ClusterView;
}

export interface EvaluationDeadline {
  /** In `clock()` units (milliseconds of a monotonic clock, e.g. performance.now). */
  at: number;
  clock: () => number;
}

function metaOf(object: KubeObject | undefined): Record<string, unknown> {
  const m = object?.metadata;
  return m !== null && typeof m === 'object' ? (m as Record<string, unknown>) : {};
}

function objectRef(input: EvaluationInput, object: KubeObject | undefined, namespace: string): ObjectRef {
  const meta = metaOf(object);
  const name =
    input.name ||
    (typeof meta.name === 'string' ? meta.name : typeof meta.generateName === 'string' ? `${meta.generateName}*` : '');
  return {
    apiVersion: typeof object?.apiVersion === 'string' ? object.apiVersion : `${input.gvk.group}/${input.gvk.version}`,
    kind: input.gvk.kind,
    namespace,
    name,
  };
}

/** A policy that throws is a meshguard bug; it must not let the object through unexamined, nor crash the server. */
function runPolicy(
  configured: ConfiguredPolicy,
  object: KubeObject,
  ctx: PolicyContext<Record<string, unknown>>,
): PolicyFinding[] {
  try {
    return configured.policy.check(object, ctx);
  } catch (err) {
    return [
      {
        path: '<root>',
        message: `meshguard could not evaluate this policy: ${(err as Error).message}`,
        hint: 'report this as a meshguard bug',
      },
    ];
  }
}

/**
 * The finding without its severity, then its policy and action: what `const { severity, ...rest } = f` and
 * `{ ...rest, policy, action }` build, key for key and in the same order (findings are plain objects without symbol
 * keys). Object rest with an excluded key runs in V8's runtime, ~2 µs a finding against ~0.1 µs for this copy.
 */
function judgedFinding(f: PolicyFinding, policy: string, action: EnforcementAction): JudgedFinding {
  const judged: Record<string, unknown> = {};
  for (const k in f) {
    if (k !== 'severity' && Object.hasOwn(f, k)) judged[k] = f[k as keyof PolicyFinding];
  }
  judged.policy = policy;
  judged.action = action;
  return judged as unknown as JudgedFinding;
}

/**
 * The policies that judge a kind and operation, per configuration; keyed group, then kind, then operation, so that
 * no key string is built per review.
 */
const byKindCache = new WeakMap<EngineConfig, Map<string, Map<string, Map<string, ConfiguredPolicy[]>>>>();
function policiesFor(
  config: EngineConfig,
  group: string,
  kind: string,
  operation: EvaluationInput['operation'],
): ConfiguredPolicy[] {
  let byGroup = byKindCache.get(config);
  if (byGroup === undefined) {
    byGroup = new Map();
    byKindCache.set(config, byGroup);
  }
  let byKind = byGroup.get(group);
  if (byKind === undefined) {
    byKind = new Map();
    byGroup.set(group, byKind);
  }
  let byOperation = byKind.get(kind);
  if (byOperation === undefined) {
    byOperation = new Map();
    byKind.set(kind, byOperation);
  }
  let list = byOperation.get(operation);
  if (list === undefined) {
    list = config.policies.filter((c) => policyApplies(c.policy, group, kind, operation));
    byOperation.set(operation, list);
  }
  return list;
}

/**
 * Judges one object. Pure and synchronous: everything it needs arrives in `input` and `ctx`, so the webhook, the
 * CLI and tests share it and it can never wait on I/O inside an admission call.
 */
export function evaluate(input: EvaluationInput, ctx: EngineContext): Verdict {
  const { group, version, kind } = input.gvk;
  const lookup = ctx.schemas.registry.lookup({ group, version, kind });
  if (!lookup.ok) return { handled: false, allowed: true, reason: lookup.reason };
  const operation = input.operation;
  // DELETE is judged on the object being deleted; CONNECT has nothing to judge.
  const subject = (operation === 'DELETE' ? input.oldObject : input.object) ?? undefined;
  const namespace =
    input.namespace || (typeof metaOf(subject).namespace === 'string' ? (metaOf(subject).namespace as string) : '');
  const ref = objectRef(input, subject, namespace);
  const verdict = {
    handled: true as const,
    allowed: true,
    object: ref,
    violations: [] as JudgedFinding[],
    warnings: [] as JudgedFinding[],
    audits: [] as JudgedFinding[],
    exempted: [] as ExemptedFinding[],
  };
  if (subject === undefined || operation === 'CONNECT') return verdict;

  const config = ctx.config;
  const now = ctx.now ?? new Date();
  // Several policies ask (schema, istio-semantics); validating once per object halves the cost.
  const schemaCache = new Map<KubeObject, FieldError[]>();
  const schemaErrors = (object: KubeObject): FieldError[] => {
    const cached = schemaCache.get(object);
    if (cached !== undefined) return cached;
    const outcome = ctx.schemas.validate(object, ctx.mode);
    const errors = outcome.served
      ? outcome.errors
      : [fieldError('Invalid', 'kind', outcome.reason, 'schema', { value: String(object.kind) })];
    schemaCache.set(object, errors);
    return errors;
  };
  const oldObject = input.oldObject ?? undefined;
  const exemptable = new Set<string>();
  const namespaceLabels = () => ctx.cluster?.namespaceLabels(namespace);

  const applicable = policiesFor(config, group, kind, operation);
  let deadlineExceeded: DeadlineExceeded | undefined;
  for (const [index, configured] of applicable.entries()) {
    if (ctx.deadline !== undefined && ctx.deadline.clock() >= ctx.deadline.at) {
      deadlineExceeded = {
        policiesEvaluated: index,
        policiesSkipped: applicable.slice(index).map((c) => c.policy.id),
      };
      break;
    }
    const action = resolveAction(configured, namespace, config, namespaceLabels);
    if (action === 'off') continue;
    const policyCtx: PolicyContext<Record<string, unknown>> = {
      params: configured.params,
      operation,
      oldObject: operation === 'UPDATE' ? oldObject : undefined,
      namespace,
      meshRootNamespace: config.meshRootNamespace,
      now,
      userInfo: input.userInfo,
      schemaErrors,
      cluster: ctx.cluster,
    };
    const findings = runPolicy(configured, subject, policyCtx);
    if (findings.length === 0) continue;
    const id = configured.policy.id;

    const exemption = findExemption({ policyId: id, object: subject, kind, namespace, name: ref.name, now }, config);
    if (exemption.exempt) {
      for (const f of findings)
        verdict.exempted.push({ ...f, policy: id, exemptedBy: exemption.by, reason: exemption.reason });
      continue;
    }

    // Ratcheting: what the stored object already had may stay (as a warning) while the update adds nothing new.
    let preexisting = new Set<string>();
    if (action === 'deny' && operation === 'UPDATE' && config.ratcheting && oldObject !== undefined) {
      preexisting = new Set(runPolicy(configured, oldObject, policyCtx).map((f) => f.path));
    }
    for (const f of findings) {
      const judged = judgedFinding(f, id, f.severity === 'warning' && action === 'deny' ? 'warn' : action);
      if (exemption.note) judged.note = exemption.note;
      if (preexisting.has(f.path)) {
        judged.action = 'warn';
        judged.note = 'already present before this update; allowed by ratcheting';
      }
      if (judged.action === 'deny') {
        verdict.violations.push(judged);
        if (config.annotationExemptions.enabled && !config.annotationExemptions.forbiddenPolicies.includes(id))
          exemptable.add(id);
      } else if (judged.action === 'warn') verdict.warnings.push(judged);
      else verdict.audits.push(judged);
    }
  }
  verdict.allowed = verdict.violations.length === 0;
  const result = deadlineExceeded === undefined ? verdict : { ...verdict, deadlineExceeded };
  if (exemptable.size > 0) {
    return {
      ...result,
      exemptionHelp: {
        policies: [...exemptable].sort(),
        latestUntil: new Date(now.getTime() + config.annotationExemptions.maxDurationMs).toISOString(),
      },
    };
  }
  return result;
}
