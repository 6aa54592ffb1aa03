import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';

export interface DrainOptions {
  /**
   * A connection that carries no request is closed once it has received nothing for this long. A connection the
   * client has just opened, or is about to reuse, gets this long to deliver its request, which is then answered.
   */
  idleGraceMs: number;
  /** Give up after this long: remaining connections are destroyed (their reviews fail). */
  timeoutMs: number;
}

export interface DrainResult {
  /** Connections open when draining began. */
  open: number;
  /** Connections closed by meshguard after an idle grace period. */
  closedIdle: number;
  /** Connections destroyed at the timeout, with whatever they carried. */
  forced: number;
  ms: number;
}

interface Tracked {
  inflight: number;
  lastBytesRead: number;
  quietSince: number;
  closing: boolean;
}

/**
 * Tracks the webhook's TLS connections so that shutdown can close them without failing a review.
 *
 * Node's `server.close()` destroys every connection that has no request in progress at that instant. A keep-alive
 * client (the API server keeps connections to the webhook open) may have written its next request onto such a
 * connection already; destroying it fails that review. Instead: stop accepting connections, answer every request
 * that arrives with `Connection: close` (app.ts does, while draining), and close a connection only after it has been
 * silent for `idleGraceMs`. HTTP/1.1 cannot remove the race with a client that picks an idle connection at the very
 * moment it is closed; the idle grace and the chart's preStop pause (the API server stops choosing this pod first)
 * make it unlikely, and the graceful-shutdown test measures it.
 */
export class ConnectionDrain {
  private readonly sockets = new Map<Socket, Tracked>();

  constructor(
    private readonly server: TlsServer,
    private readonly clock: () => number = () => performance.now(),
  ) {
    server.on('secureConnection', (socket: Socket) => {
      this.sockets.set(socket, {
        inflight: 0,
        lastBytesRead: socket.bytesRead,
        quietSince: this.clock(),
        closing: false,
      });
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const tracked = this.sockets.get(req.socket);
      if (tracked === undefined) return;
      tracked.inflight += 1;
      res.once('close', () => {
        tracked.inflight -= 1;
        tracked.quietSince = this.clock();
      });
    });
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /**
   * Stops accepting connections, then waits until every open one has closed: by the client, by Node after a
   * `Connection: close` answer, or by this method after `idleGraceMs` of silence; destroys the rest at `timeoutMs`.
   */
  async drain(options: DrainOptions): Promise<DrainResult> {
    const started = this.clock();
    const open = this.sockets.size;
    let closedIdle = 0;
    // net.Server's own close: stop listening, leave the connections alone (http.Server's close would also destroy
    // the idle ones at once; the server's 'close' still fires when the last connection ends).
    if (this.server.listening) NetServer.prototype.close.call(this.server);
    while (this.sockets.size > 0) {
      const now = this.clock();
      if (now - started >= options.timeoutMs) break;
      for (const [socket, tracked] of this.sockets) {
        if (tracked.inflight > 0 || tracked.closing) continue;
        if (socket.bytesRead !== tracked.lastBytesRead) {
          // Bytes arrived: a request may be on its way; give it time to be parsed.
          tracked.lastBytesRead = socket.bytesRead;
          tracked.quietSince = now;
          continue;
        }
        if (now - tracked.quietSince >= options.idleGraceMs) {
          tracked.closing = true;
          closedIdle += 1;
          socket.end();
          // A client that never answers the TLS close_notify must not hold shutdown hostage.
          setTimeout(() => socket.destroy(), 1000).unref();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const forced = this.sockets.size;
    for (const socket of this.sockets.keys()) socket.destroy();
    return { open, closedIdle, forced, ms: Math.round(this.clock() - started) };
  }
}
