/**
 * The shared Istio validation cases (../shared/istio-validation-cases/cases.jsonl) through the CEL validators of the
 * real CRD schemas: cases the API server refuses on semantic grounds must be refused here by a CEL rule, and cases
 * it admits must pass every CEL rule.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatFieldError } from '../field-error';
import { type CelValidator, compileCelValidator } from './compile-cel-rules';

const CASES_FILE = join(__dirname, '../../../../shared/istio-validation-cases/cases.jsonl');
const CRDS_FILE = join(__dirname, '../../../schemas/generated/crds.json');

interface Case {
  id: string;
  kind: string;
  object: unknown;
  rule: string;
  layer: 'schema' | 'semantic';
  crdVerdict: 'accept' | 'reject';
}

/**
 * Cases whose crdVerdict says "accept" although the API server refuses them. Each was run through
 * k8s.io/apiextensions-apiserver's CEL validator (v0.34.0 and v0.37.2) and Go 1.26's net/url, which agree with the
 * error expected here.
 */
const REFUSED_DESPITE_ACCEPT_VERDICT: Record<string, string> = {
  // url() is Go's url.ParseRequestURI, which refuses a non-numeric port.
  'ra-008':
    'spec.jwtRules[0].jwksUri: Invalid value: "string": URL parse error during conversion from string: parse "https://foo.com:not-a-number": invalid port ":not-a-number" after host evaluating rule: url must have scheme http:// or https://',
};

/**
 * Semantic-layer rejections that no CEL rule makes (the structural schema does). None today: every one of the
 * current cases is refused by a CEL rule.
 */
const REFUSED_BY_STRUCTURAL_SCHEMA_ONLY: ReadonlySet<string> = new Set([]);

const available = existsSync(CASES_FILE) && existsSync(CRDS_FILE);
const describeIfAvailable = available ? describe : describe.skip;

describeIfAvailable('shared Istio validation cases', () => {
  const cases: Case[] = available
    ? readFileSync(CASES_FILE, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Case)
    : [];
  const validators = new Map<string, CelValidator>();
  if (available) {
    const crds = JSON.parse(readFileSync(CRDS_FILE, 'utf8')) as { kinds: Array<{ kind: string; schema: unknown }> };
    for (const k of crds.kinds) validators.set(k.kind, compileCelValidator(k.schema));
  }
  const celErrors = (c: Case): string[] => {
    const v = validators.get(c.kind);
    if (v === undefined) throw new Error(`${c.id}: no CRD for kind ${c.kind}`);
    return v.validate(c.object).map(formatFieldError);
  };

  const semanticRejects = cases.filter((c) => c.crdVerdict === 'reject' && c.layer === 'semantic');
  const accepts = cases.filter((c) => c.crdVerdict === 'accept');

  afterAll(() => {
    const refused = semanticRejects.filter((c) => celErrors(c).length > 0).length;
    console.log(`CEL refuses ${refused} of ${semanticRejects.length} semantic-layer cases the API server rejects`);
  });

  test('there are cases of both verdicts', () => {
    expect(semanticRejects.length).toBeGreaterThan(0);
    expect(accepts.length).toBeGreaterThan(0);
  });

  test.each(semanticRejects.map((c) => [c.id, c] as const))('%s is refused by a CEL rule', (id, c) => {
    if (REFUSED_BY_STRUCTURAL_SCHEMA_ONLY.has(id)) return;
    expect(celErrors(c)).not.toEqual([]);
  });

  test.each(accepts.map((c) => [c.id, c] as const))('%s passes every CEL rule', (id, c) => {
    const expected = REFUSED_DESPITE_ACCEPT_VERDICT[id];
    expect(celErrors(c)).toEqual(expected === undefined ? [] : [expected]);
  });
});
