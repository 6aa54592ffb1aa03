/**
 * Label maps and workload selectors (pkg/config/labels and the selector checks of validation.go): Kubernetes label
 * key and value syntax, no empty keys, no `*` anywhere, and a warning for a selector without labels, which selects
 * every workload of the namespace.
 */
import { asRecord, asString } from '../../src/policy-helpers/object-access';
import { quote } from './hosts';
import { keyPath, Report } from './report';

const LABEL = '[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?';
const QUALIFIED_NAME = '(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const KEY = new RegExp(`^(${LABEL}(?:\\.${LABEL})*/)?(${QUALIFIED_NAME})$`);
const VALUE = new RegExp(`^(?:${QUALIFIED_NAME})?$`);

function labelKeyError(k: string): string | undefined {
  const m = KEY.exec(k);
  if (m === null) return `invalid tag key: ${quote(k)}`;
  if (m[1] !== undefined && m[1].length - 1 > 253) return `invalid tag key: ${quote(k)} (DNS prefix is too long)`;
  if ((m[2] ?? '').length > 63) return `invalid tag key: ${quote(k)} (name is too long)`;
  return undefined;
}

/** labels.Instance.Validate: every key and value well-formed. Reports at `path[key]`. */
export function validateLabels(labels: unknown, path: string, report: Report): void {
  const map = asRecord(labels);
  if (map === undefined) return;
  for (const [k, v] of Object.entries(map)) {
    report.errorIf(keyPath(path, k), labelKeyError(k));
    const value = asString(v) ?? '';
    if (!VALUE.test(value)) report.error(keyPath(path, k), `invalid tag value: ${quote(value)}`);
  }
}

/** True when any key or value is malformed (for callers that word the error themselves). */
export function labelsInvalid(labels: unknown): string | undefined {
  const map = asRecord(labels);
  if (map === undefined) return undefined;
  for (const [k, v] of Object.entries(map)) {
    const keyError = labelKeyError(k);
    if (keyError !== undefined) return keyError;
    const value = asString(v) ?? '';
    if (!VALUE.test(value)) return `invalid tag value: ${quote(value)}`;
  }
  return undefined;
}

function selectorLabelErrors(labels: Record<string, unknown>, path: string, report: Report): void {
  for (const [k, raw] of Object.entries(labels)) {
    const v = asString(raw) ?? '';
    if (k === '') report.error(keyPath(path, k), `empty key is not supported in selector: ${quote(`${k}=${v}`)}`);
    if (k.includes('*') || v.includes('*')) {
      report.error(keyPath(path, k), `wildcard is not supported in selector: ${quote(`${k}=${v}`)}`);
    }
  }
}

/**
 * `selector: {matchLabels: ...}` of the security, telemetry and extension kinds (type.v1beta1.WorkloadSelector).
 * `path` is the selector's own path.
 */
export function validateWorkloadSelector(selector: unknown, path: string, report: Report): void {
  const sel = asRecord(selector);
  if (sel === undefined) return;
  const labels = asRecord(sel.matchLabels) ?? {};
  selectorLabelErrors(labels, `${path}.matchLabels`, report);
  if (Object.keys(labels).length === 0) report.warn(path, 'workload selector specified without labels');
}

/**
 * `workloadSelector: {labels: ...}` of Sidecar, ServiceEntry and EnvoyFilter (networking WorkloadSelector). Errors go
 * to `report`; the answer says whether the selector is present without labels, which each kind words as a warning.
 */
export function validateNetworkingWorkloadSelector(
  selector: unknown,
  path: string,
  report: Report,
): { empty: boolean } {
  const sel = asRecord(selector);
  if (sel === undefined) return { empty: false };
  const labels = asRecord(sel.labels) ?? {};
  selectorLabelErrors(labels, `${path}.labels`, report);
  return { empty: Object.keys(labels).length === 0 };
}

/**
 * How Sidecar, ServiceEntry and EnvoyFilter validation opens: a malformed workloadSelector stops istiod there (its
 * errors only); one without labels is a warning, worded by the kind. False when validation should stop.
 */
export function checkNetworkingWorkloadSelector(
  spec: Record<string, unknown>,
  kindWords: string,
  report: Report,
): boolean {
  const selectorErrors = new Report();
  const selector = validateNetworkingWorkloadSelector(spec.workloadSelector, 'spec.workloadSelector', selectorErrors);
  if (selectorErrors.hasErrors) {
    report.issues.push(...selectorErrors.issues);
    return false;
  }
  if (selector.empty) {
    report.warn(
      'spec.workloadSelector',
      `${kindWords}: workload selector specified without labels, will be applied to all services in namespace`,
    );
  }
  return true;
}
