import '@microsoft/jest-sarif';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { policies } from '../../policies';
import { CLI, writeFocusedConfig } from '../support/cli';

/** Every output format of the built binary on the mixed folder (valid, denied, warned, non-Istio, broken YAML). */
const FIXTURES = join(__dirname, '../fixtures/cli');

function run(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  delete env.MESHGUARD_CONFIG;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: FIXTURES, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
/** Only `schema` and `mtls-mode` on, so verdicts do not move as policies are added. */
let focused: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshguard-formats-'));
  focused = writeFocusedConfig(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIXED_FILES = [
  'mixed/broken.yaml',
  'mixed/denied.yaml',
  'mixed/not-istio.yaml',
  'mixed/team-a/gateway-peer.json',
  'mixed/valid.yaml',
  'mixed/warned.yaml',
];

describe('json', () => {
  let r: ReturnType<typeof run>;
  let report: {
    results: Array<
      Record<string, unknown> & { violations: Array<Record<string, unknown>>; warnings: Array<Record<string, unknown>> }
    >;
    errors: unknown[];
    summary: unknown;
  };
  beforeAll(() => {
    r = run(['check', '--config', focused, '-o', 'json', 'mixed']);
    report = JSON.parse(r.stdout);
  });

  it('has the documented shape: results, errors, summary', () => {
    expect(r.status).toBe(2);
    expect(Object.keys(report)).toEqual(['results', 'errors', 'summary']);
    expect(report.summary).toEqual({ documents: 7, checked: 5, skipped: 2, denied: 2, warned: 1, errors: 1 });
    for (const result of report.results) {
      expect(Object.keys(result)).toEqual([
        'source',
        'apiVersion',
        'kind',
        'namespace',
        'name',
        'allowed',
        'violations',
        'warnings',
      ]);
      expect(Object.keys(result.source as object)).toEqual(['file', 'line', 'document']);
      for (const f of [...result.violations, ...result.warnings]) {
        expect(Object.keys(f).filter((k) => k !== 'hint' && k !== 'note')).toEqual([
          'policy',
          'action',
          'path',
          'message',
          'line',
          'column',
        ]);
      }
    }
  });

  it('lists every checked object (not the skipped ones) with its verdict and findings', () => {
    expect(report.results.map((x) => [x.source, x.kind, `${x.namespace}/${x.name}`, x.allowed])).toEqual([
      [{ file: 'mixed/denied.yaml', line: 2, document: 1 }, 'PeerAuthentication', 'legacy/default', false],
      [{ file: 'mixed/denied.yaml', line: 11, document: 2 }, 'PeerAuthentication', 'payments/typo', false],
      [{ file: 'mixed/team-a/gateway-peer.json', line: 1, document: 1 }, 'PeerAuthentication', 'team-a/gateway', true],
      [{ file: 'mixed/valid.yaml', line: 2, document: 1 }, 'PeerAuthentication', 'payments/default', true],
      [{ file: 'mixed/warned.yaml', line: 2, document: 1 }, 'DestinationRule', 'bookinfo/reviews', true],
    ]);
    expect(report.results[0]?.violations).toEqual([
      expect.objectContaining({
        policy: 'mtls-mode',
        action: 'deny',
        path: 'spec.mtls.mode',
        line: 9,
        column: 5,
        hint: expect.any(String),
      }),
    ]);
    expect(report.results[4]?.warnings).toEqual([
      expect.objectContaining({
        policy: 'mtls-mode',
        action: 'warn',
        path: 'spec.trafficPolicy.tls.mode',
        line: 11,
        column: 7,
      }),
    ]);
    expect(report.errors).toEqual([
      { file: 'mixed/broken.yaml', line: 5, column: 14, message: 'invalid YAML: bad indentation of a mapping entry' },
    ]);
  });
});

describe('junit', () => {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase', 'failure'].includes(name),
  });
  type Case = {
    name: string;
    failure?: Array<{ type: string; message: string; '#text': string }>;
    skipped?: unknown;
    error?: unknown;
    'system-out'?: string;
  };
  type Suite = { name: string; tests: string; failures: string; errors: string; skipped: string; testcase?: Case[] };

  it('is well-formed XML: one testsuite per file, one testcase per object, a failure per denial', () => {
    const r = run(['check', '--config', focused, '-o', 'junit', 'mixed']);
    expect(r.status).toBe(2);
    expect(XMLValidator.validate(r.stdout)).toBe(true);
    const root = parser.parse(r.stdout).testsuites as {
      tests: string;
      failures: string;
      errors: string;
      skipped: string;
      testsuite: Suite[];
    };
    expect([root.tests, root.failures, root.errors, root.skipped]).toEqual(['8', '2', '1', '2']);
    expect(root.testsuite.map((s) => s.name)).toEqual(MIXED_FILES);
    const suite = (name: string) => root.testsuite.find((s) => s.name === name) as Suite;

    const denied = suite('mixed/denied.yaml');
    expect(denied.testcase?.map((c) => [c.name, c.failure?.length])).toEqual([
      ['PeerAuthentication legacy/default', 1],
      ['PeerAuthentication payments/typo', 1],
    ]);
    expect(denied.testcase?.[0]?.failure?.[0]).toMatchObject({
      type: 'deny',
      message: expect.stringMatching(/^\[mtls-mode\] spec\.mtls\.mode: /),
    });
    expect(denied.testcase?.[0]?.failure?.[0]?.['#text']).toContain(
      'mixed/denied.yaml:9:5 [mtls-mode] spec.mtls.mode:',
    );

    expect(suite('mixed/valid.yaml').testcase?.map((c) => [c.name, c.failure, c.skipped])).toEqual([
      ['PeerAuthentication payments/default', undefined, undefined],
    ]);
    expect(suite('mixed/not-istio.yaml').skipped).toBe('2');
    expect(suite('mixed/broken.yaml').errors).toBe('1');
    const warned = suite('mixed/warned.yaml').testcase?.[0];
    expect(warned?.failure).toBeUndefined();
    expect(warned?.['system-out']).toContain('WARN mixed/warned.yaml:11:7 [mtls-mode] spec.trafficPolicy.tls.mode:');
  });

  it('stays well-formed when names and messages carry control characters and markup', () => {
    const r = run(['check', '-o', 'junit', 'hostile.yaml']);
    expect(r.status).toBe(1);
    expect(XMLValidator.validate(r.stdout)).toBe(true);
    // What XMLValidator lets through: characters outside XML 1.0's Char production, markup inside attributes.
    expect(r.stdout).not.toMatch(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u);
    expect(r.stdout).not.toContain('<name>');
    const suite = (parser.parse(r.stdout).testsuites as { testsuite: Suite[] }).testsuite[0] as Suite;
    expect(suite.testcase?.[0]?.name).toBe('PeerAuthentication payments/bad\uFFFD<name>&"quoted"\'');
  });
});

describe('sarif', () => {
  type Sarif = {
    version: string;
    runs: Array<{
      tool: {
        driver: {
          name: string;
          rules: Array<{
            id: string;
            shortDescription: { text: string };
            fullDescription: { text: string };
            help: { text: string; markdown: string };
          }>;
        };
      };
      results: Array<{
        ruleId: string;
        ruleIndex: number;
        level: string;
        message: { text: string };
        locations: Array<{
          physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } };
        }>;
      }>;
      invocations: Array<{
        executionSuccessful: boolean;
        toolExecutionNotifications: Array<{ message: { text: string }; locations: unknown[] }>;
      }>;
    }>;
  };
  let r: ReturnType<typeof run>;
  let sarif: Sarif;
  beforeAll(() => {
    r = run(['check', '--config', focused, '-o', 'sarif', 'mixed']);
    sarif = JSON.parse(r.stdout);
  });

  it('validates against the SARIF 2.1.0 JSON schema', () => {
    expect(r.status).toBe(2);
    expect(sarif).toBeValidSarifLog();
    // The validator is live: a log without its version is refused.
    const { version: _, ...broken } = sarif;
    expect(broken).not.toBeValidSarifLog();
  });

  it('has one rule per policy, described from its README, and the document rule', () => {
    const rules = sarif.runs[0]?.tool.driver.rules ?? [];
    expect(rules.map((x) => x.id)).toEqual([...policies.map((p) => p.id), 'document']);
    const mtls = rules.find((x) => x.id === 'mtls-mode');
    expect(mtls?.shortDescription.text).toBe(policies.find((p) => p.id === 'mtls-mode')?.summary);
    expect(mtls?.fullDescription.text).toContain('PERMISSIVE or DISABLE is rejected');
    expect(mtls?.help.markdown).toMatch(/## Why[\s\S]*## How to fix[\s\S]*## Parameters/);
    for (const rule of rules) expect(rule.shortDescription.text.length).toBeGreaterThan(0);
  });

  it('has a result per finding, with its rule, level, file, line and column', () => {
    const run0 = sarif.runs[0];
    const rules = run0?.tool.driver.rules ?? [];
    const results = run0?.results ?? [];
    expect(
      results.map((x) => [
        x.ruleId,
        x.level,
        x.locations[0]?.physicalLocation.artifactLocation.uri,
        x.locations[0]?.physicalLocation.region.startLine,
        x.locations[0]?.physicalLocation.region.startColumn,
      ]),
    ).toEqual([
      ['mtls-mode', 'error', 'mixed/denied.yaml', 9, 5],
      ['schema', 'error', 'mixed/denied.yaml', 19, 5],
      ['mtls-mode', 'warning', 'mixed/warned.yaml', 11, 7],
    ]);
    for (const x of results) expect(rules[x.ruleIndex]?.id).toBe(x.ruleId);
    expect(results[0]?.message.text).toMatch(
      /^PeerAuthentication legacy\/default: spec\.mtls\.mode: mtls\.mode is PERMISSIVE/,
    );
    expect(run0?.invocations[0]?.executionSuccessful).toBe(false);
    expect(run0?.invocations[0]?.toolExecutionNotifications.map((n) => n.message.text)).toEqual([
      'invalid YAML: bad indentation of a mapping entry',
    ]);
  });

  it('takes schema policies from --config as rules, and stays valid for standard input', () => {
    const cfg = join(FIXTURES, 'team-label-config.yaml');
    const s = run(['check', '--config', cfg, '-o', 'sarif', 'mixed/valid.yaml']);
    const log = JSON.parse(s.stdout) as Sarif;
    expect(log).toBeValidSarifLog();
    const rule = log.runs[0]?.tool.driver.rules.find((x) => x.id === 'require-team-label');
    expect(rule?.fullDescription.text).toBe('every PeerAuthentication names its owning team in metadata.labels.team');
    expect(rule?.help.markdown).toContain('add the label team=<your team>');
    expect(log.runs[0]?.results.map((x) => x.ruleId)).toContain('require-team-label');

    const stdin = spawnSync(process.execPath, [CLI, 'check', '-o', 'sarif', '-'], {
      input:
        'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: a}\nspec: {mtls: {mode: DISABLE}}\n',
      encoding: 'utf8',
    });
    const fromStdin = JSON.parse(stdin.stdout) as Sarif;
    expect(fromStdin).toBeValidSarifLog();
    expect(fromStdin.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('%3Cstdin%3E');
  });
});

it('text, json, junit and sarif agree on the exit code', () => {
  for (const output of ['text', 'json', 'junit', 'sarif']) {
    expect([
      output,
      run(['check', '--config', focused, '-o', output, 'mixed/denied.yaml', 'mixed/valid.yaml']).status,
    ]).toEqual([output, 1]);
  }
});
