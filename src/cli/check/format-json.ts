import type { CheckReport, CheckSummary, FindingAction, InputError, LocatedFinding, ObjectResult } from './report';

/**
 * The `--output json` document: a stable, documented shape (docs/ci.md). Fields are only ever added. Key order is
 * fixed here, not inherited from the internal types.
 */
export interface JsonFinding {
  policy: string;
  action: FindingAction;
  path: string;
  message: string;
  /** How to fix it, when the policy says. */
  hint?: string;
  note?: string;
  /** Where the offending field is written (its document when the field is absent). */
  line: number;
  column: number;
}

export interface JsonResult {
  source: { file: string; line: number; document: number };
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  allowed: boolean;
  violations: JsonFinding[];
  warnings: JsonFinding[];
}

export interface JsonReport {
  /** Every Istio object checked and every invalid document; skipped (non-Istio) documents are only counted. */
  results: JsonResult[];
  /** Inputs that could not be read or parsed (exit code 2). */
  errors: Array<{ file: string; line?: number; column?: number; message: string }>;
  summary: CheckSummary;
}

function finding(f: LocatedFinding): JsonFinding {
  return {
    policy: f.policy,
    action: f.action,
    path: f.path,
    message: f.message,
    ...(f.hint !== undefined ? { hint: f.hint } : {}),
    ...(f.note !== undefined ? { note: f.note } : {}),
    line: f.line,
    column: f.column,
  };
}

function result(o: ObjectResult): JsonResult {
  return {
    source: { file: o.source.file, line: o.source.line, document: o.source.document },
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.namespace,
    name: o.name,
    allowed: o.outcome === 'allowed' || o.outcome === 'warned',
    violations: o.violations.map(finding),
    warnings: o.warnings.map(finding),
  };
}

function inputError(e: InputError): JsonReport['errors'][number] {
  return e.line === undefined
    ? { file: e.file, message: e.message }
    : { file: e.file, line: e.line, column: e.column ?? 1, message: e.message };
}

export function toJsonReport(report: CheckReport): JsonReport {
  return {
    results: report.files.flatMap((f) => f.objects.filter((o) => o.outcome !== 'skipped').map(result)),
    errors: report.files.flatMap((f) => (f.error ? [inputError(f.error)] : [])),
    summary: { ...report.summary },
  };
}

export function formatJson(report: CheckReport): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}
