import { join } from 'node:path';
import { policies } from '../../policies';
import { runCli } from '../support/cli';

/** `meshguard policies` and `meshguard explain`, run as the built binary. */
const CONFIG = join(__dirname, '../fixtures/cli/team-label-config.yaml');

interface Row {
  id: string;
  kinds: string[];
  operations: string[];
  defaultAction: string;
  action?: string;
  summary: string;
  source: string;
}

describe('meshguard policies', () => {
  it('prints a table of id, kinds, default action and summary, one row per registered policy', () => {
    const r = runCli(['policies']);
    expect(r.status).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID +KINDS +DEFAULT +SUMMARY$/);
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(policies.map((p) => p.id));
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^schema +all Istio kinds +deny +The object matches Istio's CRD schema/),
        expect.stringMatching(/^mtls-mode +PeerAuthentication, DestinationRule +deny +Mutual TLS stays STRICT/),
      ]),
    );
  });

  it('--output json lists every policy with its kinds, operations, default action and summary', () => {
    const r = runCli(['policies', '-o', 'json']);
    expect(r.status).toBe(0);
    const rows = (JSON.parse(r.stdout) as { policies: Row[] }).policies;
    expect(rows.map((p) => p.id)).toEqual(policies.map((p) => p.id));
    expect(rows.find((p) => p.id === 'mtls-mode')).toEqual({
      id: 'mtls-mode',
      kinds: ['PeerAuthentication.security.istio.io', 'DestinationRule.networking.istio.io'],
      operations: ['CREATE', 'UPDATE'],
      defaultAction: 'deny',
      summary: expect.stringContaining('Mutual TLS stays STRICT'),
      source: 'built-in',
    });
    expect(rows.find((p) => p.id === 'schema')?.kinds).toEqual(['*']);
  });

  it('with --config, adds the configured action and the schema policies', () => {
    const r = runCli(['policies', '--config', CONFIG, '-o', 'json']);
    const rows = (JSON.parse(r.stdout) as { policies: Row[] }).policies;
    expect(rows.at(-1)).toEqual({
      id: 'require-team-label',
      kinds: ['PeerAuthentication.security.istio.io'],
      operations: ['CREATE', 'UPDATE'],
      defaultAction: 'warn',
      action: 'warn',
      summary: 'Every PeerAuthentication names its owning team.',
      source: 'configuration',
    });
    expect(rows.find((p) => p.id === 'mtls-mode')?.action).toBe('deny');
    expect(runCli(['policies', '--config', CONFIG]).stdout).toMatch(/^ID +KINDS +DEFAULT +ACTION +SUMMARY$/m);
  });

  it('exits 2 on an unknown format or a broken configuration', () => {
    expect(runCli(['policies', '-o', 'yaml']).status).toBe(2);
    const r = runCli(['policies', '--config', join(__dirname, '../fixtures/cli/mixed/broken.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('invalid meshguard configuration');
  });
});

describe('meshguard explain', () => {
  it('prints what the policy enforces, why, how to fix, its parameters, and the defaults in force', () => {
    const r = runCli(['explain', 'mtls-mode']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^# mtls-mode\n/);
    expect(r.stdout).toMatch(
      /## What it enforces[\s\S]*## Why[\s\S]*## How to fix[\s\S]*## Parameters[\s\S]*## Effective settings/,
    );
    expect(r.stdout).toContain('- action: `deny` (default)');
    expect(r.stdout).toContain('  - `requireExplicitStrict`: `false` (default)');
    expect(r.stdout).toContain('  - `meshDomainSuffixes`: `[".svc.cluster.local",".svc",".cluster.local"]` (default)');
  });

  it('marks what a --config changes', () => {
    const r = runCli(['explain', 'mtls-mode', '--config', CONFIG]);
    expect(r.stdout).toContain('  - `requireExplicitStrict`: `true` (configured; default false)');
  });

  it('explains a schema policy of the --config from its message, hint and schema', () => {
    const r = runCli(['explain', 'require-team-label', '--config', CONFIG]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      '## What it enforces\n\nevery PeerAuthentication names its owning team in metadata.labels.team',
    );
    expect(r.stdout).toContain('## How to fix\n\nadd the label team=<your team>');
    expect(r.stdout).toContain('"required": [');
    expect(r.stdout).toContain('- action: `warn`');
  });

  it('explains the document rule that `check` reports for documents it cannot check', () => {
    const r = runCli(['explain', 'document']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--strict-kinds');
  });

  it('exits 2 for an unknown id, listing the known ones', () => {
    const r = runCli(['explain', 'mtls-mod']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^meshguard: unknown policy "mtls-mod" \(known: schema, .*mtls-mode/);
    expect(runCli(['explain']).status).toBe(2);
  });
});
