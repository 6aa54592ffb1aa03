import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One line of ../shared/istio-validation-cases/cases.jsonl: an object with istiod's and the CRD's verdicts. */
export interface IstioCase {
  id: string;
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
  expect: 'valid' | 'warning' | 'invalid';
  rule: string;
  layer: 'schema' | 'semantic';
  crdVerdict: 'accept' | 'reject';
  source: string;
}

export const CASES_FILE = join(__dirname, '../../../shared/istio-validation-cases/cases.jsonl');

export function loadIstioCases(): IstioCase[] {
  return readFileSync(CASES_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as IstioCase);
}
