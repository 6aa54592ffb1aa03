import { findingBody, findingPlace, objectLabel } from './describe';
import type { CheckReport, CheckSummary, LocatedFinding } from './report';

export interface TextOptions {
  /** ANSI colours; the caller decides (a terminal, NO_COLOR, FORCE_COLOR). */
  color: boolean;
}

const ACTION_LABEL: Record<LocatedFinding['action'], string> = { deny: 'DENY', warn: 'WARN', error: 'ERROR' };
const ACTION_COLOR: Record<LocatedFinding['action'], string> = { deny: '31', warn: '33', error: '31;1' };

function paint(on: boolean, code: string, text: string): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function summaryLine(s: CheckSummary): string {
  const allowed = s.checked - s.denied - s.warned;
  const parts = [
    `${plural(s.documents, 'document')}: ${s.checked} checked (${s.denied} denied, ${s.warned} warned, ${allowed} allowed)`,
    `${s.skipped} skipped (not Istio)`,
    plural(s.errors, 'error'),
  ];
  return parts.join(', ');
}

/**
 * One line per finding, `file:line:col  ACTION  [policy] Kind ns/name  field.path: message`, grouped per file
 * (a blank line between files), then a summary line. Objects without findings print nothing. Inputs that could
 * not be read or parsed are not here: the command reports them on standard error, in every format.
 */
export function formatText(report: CheckReport, options: TextOptions): string {
  const c = options.color;
  const groups: string[] = [];
  for (const file of report.files) {
    const lines: string[] = [];
    for (const o of file.objects) {
      for (const f of [...o.violations, ...o.warnings]) {
        const action = paint(c, ACTION_COLOR[f.action], ACTION_LABEL[f.action]);
        const where = paint(c, '2', findingPlace(file.file, f));
        lines.push(`${where}  ${action}  ${paint(c, '1', `[${f.policy}]`)} ${objectLabel(o)}  ${findingBody(f)}`);
      }
    }
    if (lines.length > 0) groups.push(lines.join('\n'));
  }
  const summary = summaryLine(report.summary);
  const failed = report.summary.denied > 0 || report.summary.errors > 0;
  const out = [...groups, paint(c, failed ? '31' : report.summary.warned > 0 ? '33' : '32', summary)];
  return `${out.join('\n\n')}\n`;
}
