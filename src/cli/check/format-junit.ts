import { findingBody, findingPlace, objectLabel } from './describe';
import { type CheckReport, type FileResult, inputErrorLine, type LocatedFinding, type ObjectResult } from './report';

/** Characters XML 1.0 cannot carry at all, even escaped (control characters, lone surrogates). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlText(s: string): string {
  return s.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function xmlAttr(s: string): string {
  return xmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function attrs(a: Record<string, string | number>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

const findingText = (file: string, f: LocatedFinding) => `${findingPlace(file, f)} [${f.policy}] ${findingBody(f)}`;

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function testcase(file: string, o: ObjectResult, counts: Counts): string {
  counts.tests++;
  const head = `    <testcase${attrs({ name: objectLabel(o), classname: file, file, line: o.source.line })}`;
  const body: string[] = [];
  if (o.outcome === 'skipped') {
    counts.skipped++;
    body.push(`      <skipped${attrs({ message: o.skipReason ?? 'not an Istio kind' })}/>`);
  } else if (o.violations.length > 0) {
    counts.failures++;
    const first = o.violations[0] as LocatedFinding;
    const count = o.violations.length === 1 ? '' : ` (and ${o.violations.length - 1} more)`;
    const type = o.outcome === 'invalid' ? 'error' : 'deny';
    const text = o.violations.map((f) => findingText(file, f)).join('\n');
    body.push(
      `      <failure${attrs({ type, message: `[${first.policy}] ${findingBody(first)}${count}` })}>${xmlText(text)}</failure>`,
    );
  }
  if (o.warnings.length > 0) {
    body.push(
      `      <system-out>${xmlText(o.warnings.map((f) => `WARN ${findingText(file, f)}`).join('\n'))}</system-out>`,
    );
  }
  return body.length === 0 ? `${head}/>` : `${head}>\n${body.join('\n')}\n    </testcase>`;
}

function testsuite(file: FileResult, total: Counts): string {
  const counts: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const cases = file.objects.map((o) => testcase(file.file, o, counts));
  if (file.error) {
    counts.tests++;
    counts.errors++;
    const e = file.error;
    cases.push(
      `    <testcase${attrs({ name: file.file, classname: file.file, file: file.file })}>\n      <error${attrs({ type: 'input', message: e.message })}>${xmlText(inputErrorLine(e))}</error>\n    </testcase>`,
    );
  }
  total.tests += counts.tests;
  total.failures += counts.failures;
  total.errors += counts.errors;
  total.skipped += counts.skipped;
  const open = `  <testsuite${attrs({ name: file.file, ...counts })}`;
  return cases.length === 0 ? `${open}/>` : `${open}>\n${cases.join('\n')}\n  </testsuite>`;
}

/**
 * JUnit XML as CI systems read it (GitLab, Jenkins, Azure DevOps, CircleCI): one testsuite per file, one testcase
 * per object. A denied object has one `<failure>` listing all its violations; a document meshguard cannot check
 * is a failure too (type `error`); a non-Istio document is `<skipped>`; an input that cannot be read or parsed is
 * an `<error>`. Warnings go to the testcase's `<system-out>`.
 */
export function formatJunit(report: CheckReport): string {
  const total: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const suites = report.files.map((f) => testsuite(f, total));
  const open = `<testsuites${attrs({ name: 'meshguard check', ...total })}`;
  const root = suites.length === 0 ? `${open}/>` : `${open}>\n${suites.join('\n')}\n</testsuites>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}
