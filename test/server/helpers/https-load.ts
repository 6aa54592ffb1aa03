import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface LoadOptions {
  /** The /validate URL. */
  url: string;
  /** CAs the client trusts (like a caBundle holding the old and the new CA during a CA rotation). */
  ca: string | string[];
  /** AdmissionReview objects; each request gets a fresh uid. */
  reviews: object[];
  /** Workers sharing one keep-alive agent (one connection each), as the API server reuses connections. */
  keepAliveWorkers: number;
  /** Workers opening a new TLS connection for every request. */
  freshWorkers: number;
  /** Pause after a refused connection, so a closed listener is not hammered in a tight loop. */
  refusedPauseMs?: number;
  /** Per-request time limit; a request that hits it is a failure. */
  requestTimeoutMs?: number;
}

export interface FreshConnection {
  /** performance.now() when the request started. */
  startedAt: number;
  fingerprint256: string;
}

export interface LoadStats {
  /** Requests written on an established connection (the server could have read them). */
  sent: number;
  /** 200 with an AdmissionReview answering this request's uid. */
  ok: number;
  /** Sent, but no correct answer: an error after the connection was up, a bad status, a wrong body. */
  failed: number;
  /** The connection was never established (refused, reset during the handshake): not accepted by the server. */
  refused: number;
  /** The first few failures, for the test's message. */
  failures: string[];
  /** Answers on kept-alive connections that asked the client to close the connection (draining). */
  connectionClose: number;
  fresh: FreshConnection[];
  /** performance.now() of every correct answer's end, to show requests were answered after a given moment. */
  answeredAt: number[];
}

export interface RunningLoad {
  stats: LoadStats;
  /** Stops the workers after their current request and resolves with the totals. */
  stop(): Promise<LoadStats>;
}

function oneRequest(
  url: string,
  agent: Agent | false,
  ca: string | string[],
  review: object,
  timeoutMs: number,
  stats: LoadStats,
): Promise<'ok' | 'failed' | 'refused'> {
  const uid = randomUUID();
  const body = JSON.stringify({ ...review, request: { ...(review as { request: object }).request, uid } });
  const startedAt = performance.now();
  return new Promise((resolve) => {
    let established = false;
    let settled = false;
    const settle = (outcome: 'ok' | 'failed' | 'refused', why?: string) => {
      if (settled) return;
      settled = true;
      if (outcome === 'failed' && why && stats.failures.length < 10) stats.failures.push(why);
      resolve(outcome);
    };
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        ca,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => settle('failed', `response error: ${err.message}`));
        res.on('end', () => {
          if (agent !== false && res.headers.connection === 'close') stats.connectionClose += 1;
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            const answer = JSON.parse(text) as { kind?: string; response?: { uid?: string } };
            if (res.statusCode === 200 && answer.kind === 'AdmissionReview' && answer.response?.uid === uid) {
              stats.answeredAt.push(performance.now());
              return settle('ok');
            }
          } catch {
            // fall through
          }
          settle('failed', `HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
        });
      },
    );
    req.on('socket', (socket) => {
      const tls = socket as TLSSocket;
      const onUp = () => {
        established = true;
        stats.sent += 1;
        if (agent === false) stats.fresh.push({ startedAt, fingerprint256: tls.getPeerCertificate().fingerprint256 });
      };
      // A new socket is still connecting when the request gets it; a kept-alive one is up already.
      if (tls.connecting) tls.once('secureConnect', onUp);
      else onUp();
    });
    req.on('error', (err) =>
      settle(established ? 'failed' : 'refused', `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`),
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.end(body);
  });
}

/** A bounded closed-loop load of real HTTPS reviews: each worker sends its next request when the previous ends. */
export function startLoad(options: LoadOptions): RunningLoad {
  const stats: LoadStats = {
    sent: 0,
    ok: 0,
    failed: 0,
    refused: 0,
    failures: [],
    connectionClose: 0,
    fresh: [],
    answeredAt: [],
  };
  const agent = new Agent({ keepAlive: true, maxSockets: options.keepAliveWorkers, ca: options.ca });
  let stopping = false;
  let n = 0;
  const worker = async (keepAlive: boolean) => {
    while (!stopping) {
      const review = options.reviews[n++ % options.reviews.length] as object;
      const outcome = await oneRequest(
        options.url,
        keepAlive ? agent : false,
        options.ca,
        review,
        options.requestTimeoutMs ?? 10_000,
        stats,
      );
      stats[outcome] += 1;
      if (outcome === 'refused') await new Promise((r) => setTimeout(r, options.refusedPauseMs ?? 20));
    }
  };
  const workers = [
    ...Array.from({ length: options.keepAliveWorkers }, () => worker(true)),
    ...Array.from({ length: options.freshWorkers }, () => worker(false)),
  ];
  return {
    stats,
    async stop() {
      stopping = true;
      await Promise.all(workers);
      agent.destroy();
      return stats;
    },
  };
}

/** Resolves once `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
