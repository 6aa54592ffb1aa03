import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../support/cli';
import { newCa, servingPair } from './helpers/certs';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshguard-flags-'));
  const ca = await newCa();
  const [a, b] = [await servingPair(ca), await servingPair(ca)];
  writeFileSync(join(dir, 'a.crt'), a.certPem);
  writeFileSync(join(dir, 'a.key'), a.keyPem);
  writeFileSync(join(dir, 'b.key'), b.keyPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const serve = (...args: string[]) =>
  runCli(['serve', '--host', '127.0.0.1', '--port', '0', '--no-metrics', '--dev-cert-dir', join(dir, 'dev'), ...args]);

it('lists the operations flags in --help', () => {
  const r = runCli(['serve', '--help']);
  for (const flag of [
    '--client-ca',
    '--evaluation-deadline-ms',
    '--on-deadline',
    '--shutdown-delay-ms',
    '--shutdown-timeout-ms',
    '--fail-closed-after-probe',
    '--probe-namespace',
    '--kubeconfig',
  ])
    expect(r.stdout).toContain(flag);
  expect(r.stdout).not.toContain('--debug-endpoints');
});

it('refuses a key that does not belong to the certificate, naming both files', () => {
  const r = serve('--cert', join(dir, 'a.crt'), '--key', join(dir, 'b.key'));
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(
    `the key in ${join(dir, 'b.key')} does not belong to the certificate in ${join(dir, 'a.crt')}`,
  );
});

it('refuses a client CA it cannot read', () => {
  const r = serve('--client-ca', join(dir, 'nope.crt'));
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(`cannot read the TLS client CA at ${join(dir, 'nope.crt')}`);
});

it('refuses --fail-closed-after-probe outside a cluster without --kubeconfig', () => {
  // As outside a pod even when the tests run in one.
  const { KUBERNETES_SERVICE_HOST: _host, ...env } = process.env;
  const r = spawnSync(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--no-metrics', '--fail-closed-after-probe', 'meshguard'],
    {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('not running in a cluster (KUBERNETES_SERVICE_HOST is not set); give --kubeconfig');
});

it('refuses an unknown --on-deadline answer and a negative deadline', () => {
  expect(serve('--on-deadline', 'maybe')).toMatchObject({
    status: 2,
    stderr: expect.stringContaining('--on-deadline'),
  });
  expect(serve('--evaluation-deadline-ms', '-1')).toMatchObject({
    status: 2,
    stderr: expect.stringContaining('must be a whole number of milliseconds'),
  });
});
