import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Runs a server so that it dies with the test process, however that ends (see supervise.mjs). */
const SUPERVISE = join(__dirname, 'supervise.mjs');

/** The last lines of a log file, for failure messages. */
export function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export class ManagedProcess {
  private readonly child: ChildProcess;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitPromise: Promise<void>;

  /** Starts `command`, stdout and stderr appended to `logFile`. */
  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    readonly logFile: string,
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    const fd = openSync(logFile, 'a');
    try {
      // stdin is a pipe the supervisor watches: closed when this process dies, which kills the server.
      this.child = spawn(process.execPath, [SUPERVISE, command, ...args], {
        cwd: options.cwd,
        env: options.env,
        stdio: ['pipe', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.exitPromise = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve();
      });
      this.child.once('error', (err) => {
        this.exited = { code: null, signal: null };
        resolve();
        process.stderr.write(`${name}: ${err.message}\n`);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /** Why it is not alive, with the end of its log: for messages when a wait fails. */
  describeExit(): string {
    const how = this.exited
      ? `exited (${this.exited.signal ?? `code ${this.exited.code}`})`
      : `still running (pid ${this.pid})`;
    return `${this.name} ${how}; last lines of ${this.logFile}:\n${tail(this.logFile)}`;
  }

  /**
   * SIGTERM; when the server has not exited within `graceMs`, closing the supervisor's stdin makes it SIGKILL the
   * server (and, should even that not end it, the supervisor is killed). Resolves once it is gone.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const hard = setTimeout(() => this.child.stdin?.destroy(), graceMs);
    const harder = setTimeout(() => this.child.kill('SIGKILL'), graceMs + 5000);
    try {
      await this.exitPromise;
    } finally {
      clearTimeout(hard);
      clearTimeout(harder);
      this.child.stdin?.destroy();
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns something other than undefined, for at most `timeoutMs`; throws with `what` and
 * the last error (or the process's exit and log, when `process` died meanwhile) otherwise.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; process?: ManagedProcess },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    if (options.process && !options.process.alive) {
      throw new Error(`${what}: ${options.process.describeExit()}`);
    }
    try {
      const result = await probe();
      if (result !== undefined) return result;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      const detail = options.process ? `\n${options.process.describeExit()}` : '';
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for ${what}${last ? ` (${last})` : ''}${detail}`,
      );
    }
    await sleep(options.intervalMs ?? 250);
  }
}

/** A TCP port free on 127.0.0.1 right now, distinct from every port this function returned before. */
const handedOut = new Set<number>();
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port !== 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found on 127.0.0.1');
}

export interface HttpResult {
  status: number;
  body: string;
}

export interface TlsClientOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

/** One GET with a 5-second timeout; `tls` switches to HTTPS with the given CA (and client certificate). */
export function get(url: string, tls?: TlsClientOptions): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const request = tls ? httpsRequest : httpRequest;
    const req = request(url, { method: 'GET', timeout: 5000, ...(tls ?? {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
