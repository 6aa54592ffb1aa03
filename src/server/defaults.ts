// The server's defaults, apart from the modules that use them: `meshguard --help` and the `serve` options show
// them, and loading those modules would load Fastify, pino and prom-client for every command.

/** Largest accepted body in bytes. etcd stores objects up to ~1.5 MiB and a review may carry two of them. */
export const DEFAULT_BODY_LIMIT = 6 * 1024 * 1024;

export interface ShutdownSettings {
  /** Keep serving (not ready, every answer closing its connection) this long before the listener closes. */
  delayMs: number;
  /** A connection silent this long, with no review in progress, is closed (see connection-drain.ts). */
  idleGraceMs: number;
  /** Give up on the remaining connections after this long (counted after the delay). */
  timeoutMs: number;
}

export const DEFAULT_SHUTDOWN: ShutdownSettings = { delayMs: 0, idleGraceMs: 1000, timeoutMs: 20_000 };
