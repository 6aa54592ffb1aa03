import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerAuth } from '../support/engine';
import { httpsRequest } from '../support/https-client';
import { reviewFor } from '../support/review';
import { newCa, servingPair } from './helpers/certs';
import { startLoad, until } from './helpers/https-load';
import { type ServeProcess, startServeProcess } from './helpers/serve-process';

/** The chart's terminationGracePeriodSeconds minus its preStop pause: what is left for meshguard after SIGTERM. */
const GRACE_AFTER_SIGTERM_MS = 25_000;

let dir: string;
let ca: string;
const running: ServeProcess[] = [];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshguard-shutdown-'));
  const authority = await newCa();
  const pair = await servingPair(authority);
  ca = authority.certPem;
  writeFileSync(join(dir, 'tls.crt'), pair.certPem);
  writeFileSync(join(dir, 'tls.key'), pair.keyPem);
});
afterAll(() => {
  for (const p of running) p.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** A review whose body arrives in two halves: the second is sent when `finish()` is called. */
function slowReview(url: string) {
  const body = Buffer.from(JSON.stringify(reviewFor(peerAuth('STRICT'))));
  let finish: () => void = () => {};
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      `${url}/validate`,
      {
        method: 'POST',
        ca,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error('no answer')));
    req.write(body.subarray(0, body.length / 2));
    finish = () => req.end(body.subarray(body.length / 2));
  });
  return { answer, finish: () => finish() };
}

describe.each([
  // The chart's setting: the preStop pause has already waited for endpoints to be updated.
  ['no in-process delay (as the chart runs it)', 0],
  // Without a preStop hook (docker, systemd): keep serving a moment, not ready, before the listener closes.
  ['a 1 s in-process delay', 1000],
])('SIGTERM under load against the built binary, %s', (_name, delayMs) => {
  it('readiness fails at once, in-flight reviews finish, no accepted request fails, exit 0 within the grace period', async () => {
    const proc = await startServeProcess([
      ...['--host', '127.0.0.1', '--port', '0', '--no-metrics', '--log-level', 'info'],
      ...['--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key')],
      ...['--shutdown-delay-ms', String(delayMs), '--shutdown-timeout-ms', '15000'],
    ]);
    running.push(proc);
    const load = startLoad({
      url: `${proc.url}/validate`,
      ca,
      reviews: [reviewFor(peerAuth('STRICT')), reviewFor(peerAuth('PERMISSIVE'))],
      keepAliveWorkers: 6,
      freshWorkers: 2,
    });
    let sigtermAt = 0;
    let notReadyAt: number | undefined;
    let slow: ReturnType<typeof slowReview> | undefined;
    try {
      await until(() => load.stats.ok >= 300, 30_000, 'traffic before SIGTERM');
      slow = slowReview(proc.url);
      await until(() => load.stats.sent > 0, 1000, 'the slow review on the wire');
      await new Promise((r) => setTimeout(r, 100));
      sigtermAt = performance.now();
      proc.child.kill('SIGTERM');
      if (delayMs > 0) {
        // While the listener is still open, a probe on a new connection sees "not ready" right away.
        while (notReadyAt === undefined && performance.now() - sigtermAt < delayMs) {
          const r = await httpsRequest(`${proc.url}/readyz`, { ca }).catch(() => undefined);
          if (r?.status === 503) {
            notReadyAt = performance.now();
            expect(r.json()).toEqual({ status: 'not ready', reasons: ['shutting down'] });
          }
        }
      }
      await new Promise((r) => setTimeout(r, 300));
      slow.finish();
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        proc.exited,
        new Promise<never>((_r, reject) => {
          timer = setTimeout(() => reject(new Error('no exit')), GRACE_AFTER_SIGTERM_MS + 5000);
        }),
      ]).finally(() => clearTimeout(timer));
      const s = await load.stop();
      const slowAnswer = await slow.answer;
      const answeredAfterSigterm = s.answeredAt.filter((t) => t > sigtermAt).length;
      process.stderr.write(
        `graceful shutdown (delay ${delayMs} ms): sent ${s.sent}, answered ${s.ok}, failed ${s.failed}, refused ${s.refused}; ${answeredAfterSigterm} answered after SIGTERM (${s.connectionClose} on kept-alive connections asked to close); exit ${exit.code} ${Math.round(exit.at - sigtermAt)} ms after SIGTERM\n`,
      );
      expect(s.failures).toEqual([]);
      expect(s.failed).toBe(0);
      expect(s.ok).toBe(s.sent);
      expect(answeredAfterSigterm).toBeGreaterThan(0);
      expect(s.connectionClose).toBeGreaterThan(0);
      expect(slowAnswer.status).toBe(200);
      expect(JSON.parse(slowAnswer.body)).toMatchObject({ kind: 'AdmissionReview', response: { allowed: true } });
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.at - sigtermAt).toBeLessThan(GRACE_AFTER_SIGTERM_MS);
      if (delayMs > 0) expect(notReadyAt).toBeDefined();
      expect(proc.logs.find((l) => l.msg === 'drained and closed')).toMatchObject({ forced: 0 });
    } finally {
      await load.stop();
      proc.kill();
    }
  });
});
