import type { GroupVersionKindRef, KubeObject, Operation, UserInfo } from '../admission/types';

/** What the engine does with a finding, chosen by configuration, never by the policy that found it. */
export type EnforcementAction = 'deny' | 'warn' | 'audit' | 'off';

/** A fact a policy reports about an object: where, and what is wrong with it. */
export interface Finding {
  /** Policy id, e.g. `schema`, `mtls-mode`. */
  policy: string;
  /** kubectl-style field path, e.g. `spec.http[0].route[1].weight`. */
  path: string;
  /** What was found and what is allowed. */
  message: string;
  /** How to fix it. */
  hint?: string;
}

export interface JudgedFinding extends Finding {
  action: EnforcementAction;
  /** Why the action differs from the policy's, or an exemption that did not count (expired, too long, ...). */
  note?: string;
}

export interface ExemptedFinding extends Finding {
  /** `annotation` or `configuration (file:line)`. */
  exemptedBy: string;
  reason: string;
}

/** How to ask for an exemption from the policies that denied, when configuration allows annotations. */
export interface ExemptionHelp {
  policies: string[];
  /** Latest `meshguard.io/exempt-until` accepted now. */
  latestUntil: string;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface EvaluationInput {
  operation: Operation;
  /** The kind the API server says it is admitting; for DELETE the object itself may be absent. */
  gvk: GroupVersionKindRef;
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  /** Namespace from the review (authoritative over metadata.namespace). */
  namespace?: string;
  name?: string;
  dryRun?: boolean;
  /** Who sent the request (from the review); the CLI has none. */
  userInfo?: UserInfo;
}

export type Verdict =
  | { handled: false; allowed: true; reason: string }
  | {
      handled: true;
      allowed: boolean;
      object: ObjectRef;
      /** Findings that deny the request. */
      violations: JudgedFinding[];
      /** Findings returned to the client as AdmissionReview warnings. */
      warnings: JudgedFinding[];
      /** Findings only logged and counted. */
      audits: JudgedFinding[];
      /** Findings an exemption covered; logged for auditors. */
      exempted: ExemptedFinding[];
      exemptionHelp?: ExemptionHelp;
      /** The deadline passed before every policy ran: the verdict covers only the policies evaluated. */
      deadlineExceeded?: DeadlineExceeded;
    };

export interface DeadlineExceeded {
  /** Policies that ran (in order) before the deadline was noticed. */
  policiesEvaluated: number;
  /** Ids of the policies that did not run. */
  policiesSkipped: string[];
}
