import type { EnforcementAction } from '../../engine/types';

/**
 * What `meshguard check` found, independent of how it is printed. Built by `check-documents.ts`, read by the
 * formatters (`format-*.ts`), which are pure functions of a report.
 */

/** `deny` and `warn` come from policies; `error` marks a document meshguard could not check (see DOCUMENT_RULE). */
export type FindingAction = Extract<EnforcementAction, 'deny' | 'warn'> | 'error';

/** A finding placed in its file: line and column (1-based) of the offending field, else of its document. */
export interface LocatedFinding {
  policy: string;
  action: FindingAction;
  /** kubectl-style field path, e.g. `spec.http[0].route[1].weight`; empty for the whole document. */
  path: string;
  message: string;
  hint?: string;
  /** Why the action differs from the policy's (ratcheting, an exemption that did not count). */
  note?: string;
  line: number;
  column: number;
}

export interface SourceRef {
  /** As given on the command line (`manifests/vs.yaml`), `<stdin>` for standard input. */
  file: string;
  /** 1-based number of the YAML document in the file. */
  document: number;
  /** Line and column where the object starts (the list item for `kind: List`). */
  line: number;
  column: number;
}

/**
 * `allowed`/`warned`/`denied`: an Istio object judged by the engine. `skipped`: not an Istio kind. `invalid`: a
 * document that cannot be checked (not an object, no apiVersion or kind, an Istio group with an unknown kind or
 * version, or a non-Istio kind under `--strict-kinds`); reported like a denial, with action `error`.
 */
export type Outcome = 'allowed' | 'warned' | 'denied' | 'skipped' | 'invalid';

export interface ObjectResult {
  source: SourceRef;
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  outcome: Outcome;
  /** Findings that deny the object (action `deny`, or `error` for an invalid document), in a stable order. */
  violations: LocatedFinding[];
  /** Findings that admit it with a warning. */
  warnings: LocatedFinding[];
  /** Why a document was skipped. */
  skipReason?: string;
}

/** An input that could not be read or parsed at all: exit code 2. */
export interface InputError {
  file: string;
  /** Absent when the problem is not at a place in the file (missing file, permission denied). */
  line?: number;
  column?: number;
  message: string;
}

export interface FileResult {
  file: string;
  objects: ObjectResult[];
  error?: InputError;
}

export interface CheckSummary {
  /** Objects read (each `kind: List` item counts; empty documents do not). */
  documents: number;
  /** Istio objects judged by the engine. */
  checked: number;
  /** Documents of kinds other than Istio's, not checked. */
  skipped: number;
  denied: number;
  /** Admitted, with at least one warning. */
  warned: number;
  /** Inputs that could not be read or parsed, plus invalid documents. */
  errors: number;
}

export interface CheckReport {
  files: FileResult[];
  summary: CheckSummary;
}

export function summarize(files: readonly FileResult[]): CheckSummary {
  const s: CheckSummary = { documents: 0, checked: 0, skipped: 0, denied: 0, warned: 0, errors: 0 };
  for (const file of files) {
    if (file.error) s.errors++;
    for (const o of file.objects) {
      s.documents++;
      if (o.outcome === 'skipped') s.skipped++;
      else if (o.outcome === 'invalid') s.errors++;
      else {
        s.checked++;
        if (o.outcome === 'denied') s.denied++;
        else if (o.outcome === 'warned') s.warned++;
      }
    }
  }
  return s;
}

export function buildReport(files: FileResult[]): CheckReport {
  return { files, summary: summarize(files) };
}

export type FailOn = 'deny' | 'warn';

/**
 * 2: an input could not be read or parsed (usage and configuration errors exit 2 before a report exists).
 * 1: an object was denied or a document is invalid, or (with `--fail-on warn`) an object was warned about.
 * 0: everything admitted.
 */
export function exitCode(report: CheckReport, failOn: FailOn): 0 | 1 | 2 {
  if (report.files.some((f) => f.error !== undefined)) return 2;
  const objects = report.files.flatMap((f) => f.objects);
  if (objects.some((o) => o.outcome === 'denied' || o.outcome === 'invalid')) return 1;
  if (failOn === 'warn' && objects.some((o) => o.outcome === 'warned')) return 1;
  return 0;
}

/** `file:line:col: message`, or `file: message` when the problem has no place in the file. */
export function inputErrorLine(e: InputError): string {
  return e.line === undefined ? `${e.file}: ${e.message}` : `${e.file}:${e.line}:${e.column ?? 1}: ${e.message}`;
}
