import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type RunningServer, startServer } from '../../src/server/start-server';
import { peerAuth } from '../support/engine';
import { reviewFor } from '../support/review';
import { newCa, servingPair, writeSecretVolume } from './helpers/certs';
import { startLoad, until } from './helpers/https-load';

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

let dir: string;
let server: RunningServer | undefined;
const logs: Array<Record<string, unknown>> = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshguard-rotation-'));
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function reloads(result: 'success' | 'failure'): Promise<number> {
  const metric = await (server as RunningServer).metrics.certificateReloads.get();
  return metric.values.find((v) => v.labels.result === result)?.value ?? 0;
}

it('rotates the serving certificate under load: no failed request, new connections get the new certificate', async () => {
  const volume = join(dir, 'tls');
  const firstCa = await newCa('first CA');
  const secondCa = await newCa('second CA');
  const a = await servingPair(firstCa);
  writeSecretVolume(volume, { 'tls.crt': a.certPem, 'tls.key': a.keyPem });
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    certFile: join(volume, 'tls.crt'),
    keyFile: join(volume, 'tls.key'),
    metricsHost: '127.0.0.1',
    bodyLimit: 1024 * 1024,
    logLevel: 'info',
    // File events only: the poll is far away, so the directory watch is what notices the symlink swap.
    tlsReload: { debounceMs: 100, pollIntervalMs: 600_000 },
    logger: pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _e, cb) {
          for (const l of chunk.toString().split('\n')) if (l.trim()) logs.push(JSON.parse(l));
          cb();
        },
      }),
    ),
  });
  const url = `${server.url.replace('localhost', '127.0.0.1')}/validate`;
  // The clients trust both CAs, as a caBundle does while a CA is being replaced.
  const load = startLoad({
    url,
    ca: [firstCa.certPem, secondCa.certPem],
    reviews: [reviewFor(peerAuth('STRICT')), reviewFor(peerAuth('PERMISSIVE'))],
    keepAliveWorkers: 4,
    freshWorkers: 2,
  });
  const freshSince = (t: number) => load.stats.fresh.filter((f) => f.startedAt > t).length;
  try {
    await until(() => load.stats.ok >= 200 && load.stats.fresh.length >= 20, 30_000, 'traffic before the rotation');

    // 1. cert-manager renews: a new key and certificate from the same CA.
    const b = await servingPair(firstCa);
    writeSecretVolume(volume, { 'tls.crt': b.certPem, 'tls.key': b.keyPem });
    await until(() => server?.tls.fingerprint256 === fingerprint(b.certPem), 15_000, 'the renewed certificate');
    const reloadedB = performance.now();
    await until(() => freshSince(reloadedB) >= 20, 30_000, 'new connections after the renewal');

    // 2. The issuer changes: a certificate from the second CA.
    const c = await servingPair(secondCa);
    writeSecretVolume(volume, { 'tls.crt': c.certPem, 'tls.key': c.keyPem });
    await until(() => server?.tls.fingerprint256 === fingerprint(c.certPem), 15_000, 'the re-issued certificate');
    const reloadedC = performance.now();
    await until(() => freshSince(reloadedC) >= 20, 30_000, 'new connections after the re-issue');

    // 3. A broken update (the key of another certificate) is refused; the certificate in service stays.
    const d = await servingPair(secondCa);
    writeSecretVolume(volume, { 'tls.crt': d.certPem, 'tls.key': a.keyPem });
    await until(() => logs.some((l) => /reload failed/.test(String(l.msg))), 15_000, 'the refused update');
    const refusedAt = performance.now();
    await until(() => freshSince(refusedAt) >= 20, 30_000, 'new connections after the refused update');
  } finally {
    await load.stop();
  }
  const s = load.stats;
  process.stderr.write(
    `certificate rotation under load: sent ${s.sent}, answered ${s.ok}, failed ${s.failed}, refused ${s.refused}; ${s.fresh.length} new connections\n`,
  );
  expect(s.failures).toEqual([]);
  expect({ failed: s.failed, refused: s.refused }).toEqual({ failed: 0, refused: 0 });
  expect(s.ok).toBe(s.sent);

  const seen = (from: number, to: number) =>
    new Set(s.fresh.filter((f) => f.startedAt > from && f.startedAt < to).map((f) => f.fingerprint256));
  const events = logs.filter((l) => l.msg === 'TLS certificate reloaded; new connections use it');
  expect(events.map((e) => e.fingerprint256)).toHaveLength(2);
  const [fpB, fpC] = events.map((e) => e.fingerprint256 as string);
  const fpA = events[0]?.previousFingerprint256 as string;
  expect(new Set([fpA, fpB, fpC]).size).toBe(3);
  // Every new connection opened after a reload was observed presents the new certificate, and only it.
  const reloadB = Math.min(...s.fresh.filter((f) => f.fingerprint256 === fpB).map((f) => f.startedAt));
  const reloadC = Math.min(...s.fresh.filter((f) => f.fingerprint256 === fpC).map((f) => f.startedAt));
  expect(seen(0, reloadB)).toEqual(new Set([fpA]));
  expect(seen(reloadB, reloadC)).toEqual(new Set([fpB]));
  expect(seen(reloadC, Number.POSITIVE_INFINITY)).toEqual(new Set([fpC]));
  expect(await reloads('success')).toBe(2);
  expect(await reloads('failure')).toBe(1);
  const failure = logs.find((l) => /reload failed/.test(String(l.msg)));
  expect(failure).toMatchObject({ level: 50 });
  expect(String(failure?.err)).toMatch(/does not belong to the certificate/);
  const expiry = (await server.metrics.certificateNotAfter.get()).values[0]?.value;
  expect(expiry).toBeGreaterThan(Date.now() / 1000);
});
