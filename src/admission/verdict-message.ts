import { EXEMPT_ANNOTATION, EXEMPT_REASON_ANNOTATION, EXEMPT_UNTIL_ANNOTATION } from '../engine/exemptions';
import type { ExemptionHelp, JudgedFinding, ObjectRef } from '../engine/types';

/** Kubernetes advises warnings of about 120 characters and truncates nothing; kubectl prints them whole. */
export const MAX_WARNING_LENGTH = 256;

export function describeObject(ref: ObjectRef): string {
  const name = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
  return `${ref.kind} ${name}`;
}

/** One line per finding, e.g. `[schema] spec.port.number: Invalid value: 0: ...`; the line a kubectl user acts on. */
export function findingLine(f: JudgedFinding): string {
  let line = `[${f.policy}] ${f.path}: ${f.message}`;
  if (f.hint) line += `${/[.!?]$/.test(line) ? '' : '.'} Fix: ${f.hint}`;
  if (f.note) line += ` (${f.note})`;
  return line;
}

/** Stable order: by policy id, then path, so the same object always gets the same message. */
export function sortFindings<T extends JudgedFinding>(findings: readonly T[]): T[] {
  return [...findings].sort(
    (a, b) => a.policy.localeCompare(b.policy) || a.path.localeCompare(b.path) || a.message.localeCompare(b.message),
  );
}

/**
 * The text kubectl shows after `admission webhook "..." denied the request: `. Every violation is listed so one
 * edit can fix them all.
 */
export function denialMessage(ref: ObjectRef, violations: readonly JudgedFinding[], help?: ExemptionHelp): string {
  const lines = sortFindings(violations).map(findingLine);
  const count = violations.length === 1 ? '1 violation' : `${violations.length} violations`;
  if (help) lines.push(exemptionHelpLine(help));
  return `${describeObject(ref)} was rejected by meshguard (${count}):\n${lines.join('\n')}`;
}

export function exemptionHelpLine(help: ExemptionHelp): string {
  return `To request a time-boxed exemption, annotate the object: ${EXEMPT_ANNOTATION}=${help.policies.join(',')}, ${EXEMPT_UNTIL_ANNOTATION}=<RFC 3339 date, at most ${help.latestUntil}>, ${EXEMPT_REASON_ANNOTATION}=<why>`;
}

export function warningLine(f: JudgedFinding): string {
  const line = `[${f.policy}] ${f.path}: ${f.message}`;
  return line.length <= MAX_WARNING_LENGTH ? line : `${line.slice(0, MAX_WARNING_LENGTH - 1)}…`;
}
