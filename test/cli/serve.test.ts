import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleReview } from '../../src/cli/sample-review';
import { runCli, startCli, waitForExit } from '../support/cli';
import { httpsRequest, postJson } from '../support/https-client';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshguard-serve-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('serves with a generated development certificate and prints a curl that works', async () => {
  const certDir = join(dir, 'certs');
  const { child, match } = await startCli(
    ['serve', '--host', '127.0.0.1', '--port', '0', '--no-metrics', '--dev-cert-dir', certDir, '--log-level', 'warn'],
    /curl --cacert (\S+) -H 'Content-Type: application\/json' (https:\/\/\S+)\/validate -d '/,
  );
  try {
    const [, caFile, url] = match as unknown as [string, string, string];
    expect(caFile).toBe(join(certDir, 'ca.crt'));
    expect(existsSync(join(certDir, 'tls.key'))).toBe(true);
    const ca = readFileSync(caFile);
    expect((await httpsRequest(`${url.replace('localhost', '127.0.0.1')}/readyz`, { ca })).status).toBe(200);
    const res = await postJson(`${url}/validate`, ca, sampleReview());
    const body = res.json() as { response: { allowed: boolean; status: { message: string } } };
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toContain('[schema] spec.mtls.mode: Unsupported value: "PERMISSIVEX"');
  } finally {
    child.kill('SIGTERM');
  }
  expect(await waitForExit(child)).toBe(0);
});

it('refuses to start with a broken configuration, naming the file, line and key', () => {
  const cfg = join(dir, 'broken.yaml');
  writeFileSync(cfg, 'policies:\n  mtls-mode:\n    action: block\n');
  const r = runCli(['serve', '--port', '0', '--no-metrics', '--config', cfg, '--dev-cert-dir', join(dir, 'c2')]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(
    `${cfg}:3:5: policies.mtls-mode.action: must be one of "deny", "warn", "audit", "off", not "block"`,
  );
});

it('rejects --cert without --key', () => {
  const r = runCli(['serve', '--cert', '/nope.crt']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('--cert and --key go together');
});
