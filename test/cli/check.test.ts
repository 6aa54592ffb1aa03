import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, writeFocusedConfig } from '../support/cli';

/** `meshguard check` as a pipeline runs it: the built binary, in a subprocess, from the fixtures folder. */
const FIXTURES = join(__dirname, '../fixtures/cli');

function run(args: string[], options: { input?: string; cwd?: string; env?: Record<string, string> } = {}) {
  // Jest's workers set FORCE_COLOR for their children; a pipeline's environment does not.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  delete env.MESHGUARD_CONFIG;
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: options.input,
    cwd: options.cwd ?? FIXTURES,
    env: { ...env, ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonFinding {
  policy: string;
  action: string;
  path: string;
  message: string;
  line: number;
  column: number;
}
interface JsonResult {
  source: { file: string; line: number; document: number };
  kind: string;
  namespace: string;
  name: string;
  allowed: boolean;
  violations: JsonFinding[];
  warnings: JsonFinding[];
}
interface JsonReport {
  results: JsonResult[];
  errors: Array<{ file: string; line?: number; column?: number; message: string }>;
  summary: Record<string, number>;
}

let dir: string;
/** Only `schema` and `mtls-mode` on: the fixtures' verdicts must not move as policies are added. */
let focused: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshguard-check-'));
  focused = writeFocusedConfig(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const ESC = '\u001b';

describe('text output on a mixed folder', () => {
  let r: ReturnType<typeof run>;
  beforeAll(() => {
    r = run(['check', '--config', focused, 'mixed']);
  });

  it('prints one line per finding: file:line:col  ACTION  [policy] Kind ns/name  path: message', () => {
    expect(lines(r.stdout)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^mixed\/denied\.yaml:9:5 {2}DENY {2}\[mtls-mode\] PeerAuthentication legacy\/default {2}spec\.mtls\.mode: mtls\.mode is PERMISSIVE; .*Fix: set spec\.mtls\.mode: STRICT/,
        ),
        'mixed/denied.yaml:19:5  DENY  [schema] PeerAuthentication payments/typo  spec.mtls.strict: unknown field',
        expect.stringMatching(
          /^mixed\/warned\.yaml:11:7 {2}WARN {2}\[mtls-mode\] DestinationRule bookinfo\/reviews {2}spec\.trafficPolicy\.tls\.mode: tls\.mode is SIMPLE/,
        ),
      ]),
    );
  });

  it('groups findings per file, prints nothing for admitted objects, ends with a summary', () => {
    const groups = r.stdout.trimEnd().split('\n\n');
    expect(groups.map((g) => [...new Set(lines(g).map((l) => l.split(':')[0]))])).toEqual([
      ['mixed/denied.yaml'],
      ['mixed/warned.yaml'],
      [expect.stringMatching(/^7 documents/)],
    ]);
    expect(groups.at(-1)).toBe(
      '7 documents: 5 checked (2 denied, 1 warned, 2 allowed), 2 skipped (not Istio), 1 error',
    );
    expect(r.stdout).not.toMatch(/valid\.yaml|gateway-peer|not-istio|notes\.txt/);
  });

  it('reports the YAML syntax error as file:line:col: message on stderr, without a stack trace, and exits 2', () => {
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual(['mixed/broken.yaml:5:14: invalid YAML: bad indentation of a mapping entry']);
  });

  it('uses no colour when standard output is not a terminal', () => {
    expect(r.stdout).not.toContain(ESC);
  });
});

describe('exit codes', () => {
  it.each([
    ['every object admitted', ['mixed/valid.yaml', 'mixed/team-a'], 0],
    ['warnings only', ['mixed/warned.yaml'], 0],
    ['warnings with --fail-on warn', ['--fail-on', 'warn', 'mixed/warned.yaml'], 1],
    ['a denial', ['mixed/valid.yaml', 'mixed/denied.yaml'], 1],
    ['non-Istio documents only', ['mixed/not-istio.yaml'], 0],
    ['a YAML syntax error, even next to a denial', ['mixed/denied.yaml', 'mixed/broken.yaml'], 2],
  ])('%s', (_, args, code) => {
    expect(run(['check', '--config', focused, ...args]).status).toBe(code);
  });

  it('2 for a path that does not exist, naming it; the other inputs are still checked', () => {
    const r = run(['check', '--config', focused, 'nope.yaml', 'mixed/denied.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nope.yaml: no such file or directory');
    expect(r.stdout).toContain('[mtls-mode] PeerAuthentication legacy/default');
  });

  it('2 for usage errors: no path, an unknown option, an unknown format, a bad namespace', () => {
    expect(run(['check']).status).toBe(2);
    expect(run(['check', '--frobnicate', 'mixed']).status).toBe(2);
    const format = run(['check', '-o', 'yaml', 'mixed']);
    expect(format.status).toBe(2);
    expect(format.stderr).toContain('Allowed choices are text, json, junit, sarif');
    const ns = run(['check', '-n', 'Not_A_Namespace', 'mixed']);
    expect(ns.status).toBe(2);
    expect(ns.stderr).toContain('must be a namespace name');
  });

  it('2 for a configuration error, with its file, line and key', () => {
    const cfg = join(dir, 'broken-config.yaml');
    writeFileSync(cfg, 'policies:\n  mtls-mode:\n    action: block\n');
    const r = run(['check', '--config', cfg, 'mixed/valid.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${cfg}:3:5: policies.mtls-mode.action: must be one of`);
    expect(r.stdout).toBe('');
  });
});

describe('inputs', () => {
  it('reads standard input for -, alone or with files', () => {
    const input = readFileSync(join(FIXTURES, 'mixed/denied.yaml'), 'utf8');
    const r = run(['check', '--config', focused, '-'], { input });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('<stdin>:9:5  DENY  [mtls-mode] PeerAuthentication legacy/default');
    const both = run(['check', '--config', focused, '-o', 'json', 'mixed/valid.yaml', '-'], { input });
    const report = JSON.parse(both.stdout) as JsonReport;
    expect(report.results.map((x) => `${x.source.file}#${x.source.document}`)).toEqual([
      'mixed/valid.yaml#1',
      '<stdin>#1',
      '<stdin>#2',
    ]);
  });

  it('an empty standard input is zero documents, exit 0', () => {
    const r = run(['check', '-'], { input: '' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('0 documents');
  });

  it('searches folders recursively for .yaml, .yml and .json, in a stable order, each file once', () => {
    const r = run(['check', '--config', focused, '-o', 'json', 'mixed', 'mixed/valid.yaml']);
    const files = [...new Set((JSON.parse(r.stdout) as JsonReport).results.map((x) => x.source.file))];
    expect(files).toEqual([
      'mixed/denied.yaml',
      'mixed/team-a/gateway-peer.json',
      'mixed/valid.yaml',
      'mixed/warned.yaml',
    ]);
  });

  it('notes a folder with no manifest at all', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = run(['check', empty]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`no .yaml, .yml or .json files under ${empty}`);
  });

  it('checks the items of a kind: List, locating findings inside the item', () => {
    const r = run(['check', '--config', focused, '-o', 'json', 'list.yaml']);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.summary).toMatchObject({ documents: 3, checked: 2, skipped: 1, denied: 1 });
    expect(report.results.map((x) => [x.name, x.source.line, x.source.document, x.allowed])).toEqual([
      ['ok', 5, 1, true],
      ['workload', 13, 1, false],
    ]);
    expect(report.results[1]?.violations).toEqual([
      expect.objectContaining({ policy: 'mtls-mode', path: 'spec.portLevelMtls[8080].mode', line: 24, column: 11 }),
    ]);
  });

  it('refuses a billion-laughs document quickly, with a clear error and exit 2', () => {
    const started = Date.now();
    const r = run(['check', 'billion-laughs.yaml']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^billion-laughs\.yaml:2:1: invalid YAML: document 1 expands to more than 1000000 nodes through aliases \(a "billion laughs" document\?\)\n$/,
    );
  });
});

describe('where findings point', () => {
  it('at the line and column of the offending field (its key), or the nearest written parent when absent', () => {
    const r = run(['check', '--config', focused, '-o', 'json', 'locations.yaml']);
    const findings = (JSON.parse(r.stdout) as JsonReport).results.flatMap((x) => x.violations);
    expect(findings.map((f) => [f.path, f.line, f.column])).toEqual([
      ['spec.subsets[1].trafficPolicy.portLevelSettings[0].tls.mode', 20, 19],
      ['spec.trafficPolicy.loadBalancer.simple', 11, 7],
      ['spec.portLevelMtls[9080].mode', 32, 7],
      ['metadata.name', 36, 1],
    ]);
    // Each place holds the field's key (for the missing metadata.name: its parent, metadata).
    const source = readFileSync(join(FIXTURES, 'locations.yaml'), 'utf8').split('\n');
    for (const f of findings) {
      const key = f.path === 'metadata.name' ? 'metadata' : (f.path.split('.').at(-1) as string);
      expect(`${f.path} → ${source[f.line - 1]?.slice(f.column - 1)}`).toMatch(new RegExp(`→ ${key}:`));
    }
  });
});

describe('kinds and namespaces', () => {
  it('gives objects without a namespace --namespace, default "default"', () => {
    expect(run(['check', 'no-namespace.yaml']).stdout).toContain('[mtls-mode] PeerAuthentication default/default');
    expect(run(['check', '-n', 'team-b', 'no-namespace.yaml']).stdout).toContain(
      '[mtls-mode] PeerAuthentication team-b/default',
    );
    // metadata.namespace wins over --namespace.
    expect(run(['check', '-n', 'team-b', 'mixed/denied.yaml']).stdout).toContain('PeerAuthentication legacy/default');
  });

  it('skips and counts non-Istio documents; --strict-kinds makes them errors (exit 1)', () => {
    expect(run(['check', '-o', 'json', 'mixed/not-istio.yaml']).stdout).toContain('"skipped": 2');
    const r = run(['check', '--strict-kinds', 'mixed/not-istio.yaml']);
    expect(r.status).toBe(1);
    expect(lines(r.stdout)).toEqual([
      'mixed/not-istio.yaml:3:1  ERROR  [document] Service bookinfo/reviews  kind: v1 Service is not an Istio kind; --strict-kinds makes that an error',
      'mixed/not-istio.yaml:12:1  ERROR  [document] Deployment bookinfo/reviews  kind: apps/v1 Deployment is not an Istio kind; --strict-kinds makes that an error',
      '2 documents: 0 checked (0 denied, 0 warned, 0 allowed), 0 skipped (not Istio), 2 errors',
    ]);
  });

  it('reports documents that are not Kubernetes objects as errors (exit 1)', () => {
    const r = run(['check', '-'], {
      input: 'just a string\n---\n- a\n---\nkind: Foo\nmetadata: {name: x}\n---\n# empty\n',
    });
    expect(r.status).toBe(1);
    expect(lines(r.stdout)).toEqual([
      '<stdin>:1:1  ERROR  [document] document 1  expected a Kubernetes object (a mapping with apiVersion and kind), found a string ("just a string")',
      '<stdin>:3:1  ERROR  [document] document 2  expected a Kubernetes object (a mapping with apiVersion and kind), found a sequence',
      '<stdin>:5:1  ERROR  [document] Foo default/x  apiVersion: not set; every Kubernetes object needs apiVersion and kind',
      '3 documents: 0 checked (0 denied, 0 warned, 0 allowed), 0 skipped (not Istio), 3 errors',
    ]);
  });

  it('reports an Istio group with an unknown kind or version as an error, with the served ones (exit 1)', () => {
    const r = run(['check', 'unknown-kind.yaml']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /^unknown-kind\.yaml:3:1 {2}ERROR {2}\[document\] VirtualSrvice default\/typo {2}kind: kind "VirtualSrvice" is not served in group networking\.istio\.io \(served: .*VirtualService/m,
    );
    expect(r.stdout).toMatch(
      /^unknown-kind\.yaml:9:1 {2}ERROR {2}\[document\] PeerAuthentication default\/future {2}apiVersion: PeerAuthentication\.security\.istio\.io has no version "v2" \(served: v1/m,
    );
  });
});

describe('colour', () => {
  it('with FORCE_COLOR (a CI log that renders ANSI), and never with NO_COLOR', () => {
    expect(run(['check', 'mixed/denied.yaml'], { env: { FORCE_COLOR: '1' } }).stdout).toContain(
      `${ESC}[31mDENY${ESC}[0m`,
    );
    expect(run(['check', 'mixed/denied.yaml'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toContain(ESC);
  });
});
