import { spawnSync } from 'node:child_process';
import { findingLine, warningLine as webhookWarningLine } from '../../../src/admission/verdict-message';
import type { JudgedFinding } from '../../../src/engine/types';
import { REPO_ROOT } from '../../support/helm';
import { MESHGUARD_MAIN } from './meshguard';

export interface CheckFinding {
  policy: string;
  action: string;
  path: string;
  message: string;
  hint?: string;
}

export interface CheckResult {
  kind: string;
  name: string;
  namespace: string;
  allowed: boolean;
  violations: CheckFinding[];
  warnings: CheckFinding[];
}

/** `meshguard check -o json` on one file, as a user would run it before `kubectl apply`. */
export function meshguardCheck(file: string, options: { namespace: string; config?: string }): CheckResult[] {
  const args = [MESHGUARD_MAIN, 'check', '-o', 'json', '-n', options.namespace, file];
  if (options.config) args.push('--config', options.config);
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 1) throw new Error(`meshguard check ${file} exited ${r.status}:\n${r.stderr}`);
  return (JSON.parse(r.stdout) as { results: CheckResult[] }).results;
}

/** A finding as the webhook words it in a denial (`[policy] path: message. Fix: hint`), by meshguard's own formatter. */
export function denialLine(f: CheckFinding): string {
  return findingLine(f as JudgedFinding);
}

/** A finding as the webhook words it in an AdmissionReview warning (kubectl prints `Warning: ` before it). */
export function warningLine(f: CheckFinding): string {
  return webhookWarningLine(f as JudgedFinding);
}
