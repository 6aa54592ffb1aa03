import type { KubeObject, Operation, UserInfo } from '../admission/types';
import type { ClusterKind, ClusterView } from '../cluster/types';
import type { FieldError } from '../schema/field-error';
import type { EnforcementAction } from './types';

/** Which objects a policy looks at: an Istio API group and kind (every served version). */
export interface KindRef {
  group: string;
  kind: string;
}

/** What a policy may read besides the object. Everything is handed in: a policy never does I/O or reads a clock. */
export interface PolicyContext<Params> {
  params: Params;
  operation: Operation;
  /** For UPDATE, the object as stored before the change. */
  oldObject?: KubeObject;
  /** The namespace the object lives in (from the review, else metadata.namespace, else the CLI's default). */
  namespace: string;
  /** Istio's root namespace (meshConfig.rootNamespace): a policy there applies to the whole mesh. */
  meshRootNamespace: string;
  now: Date;
  /**
   * Who sent the request, when known (webhook). Policies that guard DELETE need it: the namespace controller
   * deletes every object of a namespace being deleted, and blocking it leaves the namespace stuck Terminating.
   */
  userInfo?: UserInfo;
  /** The object's Istio CRD schema errors, judged in the engine's mode (webhook or offline). */
  schemaErrors(object: KubeObject): FieldError[];
  /**
   * Read-only view of other objects (webhook: the informer cache; CLI: the files checked together; tests: fixtures).
   * Absent when meshguard runs without one: cross-object policies then check nothing. Reads are synchronous and
   * never wait on the API server; a kind not yet synced (`synced(kind)` false) must be reported, not guessed.
   */
  cluster?: ClusterView;
}

/** A fact about the object, in the words the person who applied it needs: where, what was found, what is allowed. */
export interface PolicyFinding {
  /** kubectl-style path, e.g. `spec.trafficPolicy.portLevelSettings[0].tls.mode`. */
  path: string;
  /** What was found and what is allowed: `mtls.mode is PERMISSIVE; only STRICT (or UNSET, inheriting) is allowed`. */
  message: string;
  /** How to fix it, one sentence. */
  hint?: string;
  /**
   * `warning` marks something worth flagging but not worth blocking on its own (a deprecated field, a risky but
   * legitimate setting): the engine caps its action at `warn`. Default `error`: the configured action applies.
   */
  severity?: 'error' | 'warning';
}

export interface Policy<Params = Record<string, unknown>> {
  /** kebab-case id used in messages, configuration, metrics and annotations. */
  id: string;
  /** One line, shown by `meshguard policies` and in the docs table. */
  summary: string;
  /** Kinds judged; `'*'` for every Istio kind meshguard serves. */
  appliesTo: readonly KindRef[] | '*';
  /** Operations the policy judges; CREATE and UPDATE unless it guards deletion too. */
  operations?: readonly Operation[];
  /** What happens to its findings unless configuration says otherwise. */
  defaultAction: EnforcementAction;
  defaults: Params;
  /** JSON Schema of `params`; merged into the configuration schema, so a wrong parameter fails at load. */
  paramsSchema: Record<string, unknown>;
  /**
   * The kinds the policy reads from `ctx.cluster`. The webhook lists and watches only the kinds some enabled policy
   * declares here.
   */
  clusterKinds?: readonly ClusterKind[];
  /** For DELETE the object is the one being deleted. */
  check(object: KubeObject, ctx: PolicyContext<Params>): PolicyFinding[];
}

/** Identity function that lets TypeScript infer Params from `defaults` and check `check` against them. */
export function definePolicy<Params>(policy: Policy<Params>): Policy<Params> {
  return policy;
}

export const DEFAULT_OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE'];

/** A registered policy, whatever its parameters (method parameters are bivariant, so any Policy<P> fits). */
export type AnyPolicy = Policy<Record<string, unknown>>;

export function policyApplies(policy: AnyPolicy, group: string, kind: string, operation: Operation): boolean {
  return (
    (policy.operations ?? DEFAULT_OPERATIONS).includes(operation) &&
    (policy.appliesTo === '*' || policy.appliesTo.some((k) => k.group === group && k.kind === kind))
  );
}
