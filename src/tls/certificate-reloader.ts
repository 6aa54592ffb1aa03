import { type FSWatcher, watch } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { checkTlsMaterial, readTlsBytes, type TlsFiles, type TlsMaterial } from './tls-material';

export interface CertificateReloaderOptions {
  files: TlsFiles;
  /** What is being served now (read at start-up). */
  current: TlsMaterial;
  /** Puts checked material into service (the server's `setSecureContext`); a throw counts as a failed reload. */
  apply(material: TlsMaterial): void;
  /** Told of every reload attempt, for metrics. */
  onReload?(result: 'success' | 'failure', material?: TlsMaterial): void;
  logger: Logger;
  /**
   * Quiet time after the last file event before the files are read. Kubernetes swaps a Secret volume's `..data`
   * symlink in one rename, but other writers (cert-manager's csi driver, a person with `cp`) touch the certificate
   * and the key one after the other.
   */
  debounceMs?: number;
  /** The files are also compared this often, in case a file event is lost (some filesystems never send any). */
  pollIntervalMs?: number;
}

export type ReloadOutcome = 'unchanged' | 'reloaded' | 'failed' | 'failed-again';

/**
 * Keeps the serving certificate current without a restart. It watches the directories that hold the files (a
 * Kubernetes Secret volume changes by replacing the `..data` symlink, which a watch on the file itself would miss),
 * waits for the events to settle, and reloads only when the bytes changed and the new certificate and key parse and
 * belong together; otherwise the certificate in service stays, the failure is logged and counted once per distinct
 * content.
 */
export class CertificateReloader {
  private readonly debounceMs: number;
  private readonly pollIntervalMs: number;
  private current: TlsMaterial;
  private lastFailedDigest: string | undefined;
  private watchers: FSWatcher[] = [];
  private debounceTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: CertificateReloaderOptions) {
    this.current = options.current;
    this.debounceMs = options.debounceMs ?? 300;
    this.pollIntervalMs = options.pollIntervalMs ?? 30_000;
  }

  get material(): TlsMaterial {
    return this.current;
  }

  start(): void {
    this.watch();
    this.pollTimer = setInterval(() => {
      if (this.watchers.length === 0) this.watch();
      this.check();
    }, this.pollIntervalMs);
    this.pollTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.debounceTimer);
    clearInterval(this.pollTimer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  /** Reads the files and reloads if they changed; public so that tests and a future SIGHUP can force a look. */
  check(): ReloadOutcome {
    const { files, logger } = this.options;
    let bytes: ReturnType<typeof readTlsBytes>;
    let material: TlsMaterial;
    try {
      bytes = readTlsBytes(files);
    } catch (err) {
      return this.failed(`unreadable:${(err as Error).message}`, err as Error);
    }
    if (bytes.digest === this.current.digest) {
      this.lastFailedDigest = undefined;
      return 'unchanged';
    }
    try {
      material = checkTlsMaterial(bytes, files);
      this.options.apply(material);
    } catch (err) {
      return this.failed(bytes.digest, err as Error);
    }
    const previous = this.current;
    this.current = material;
    this.lastFailedDigest = undefined;
    this.options.onReload?.('success', material);
    logger.info(
      {
        certFile: files.certFile,
        fingerprint256: material.fingerprint256,
        previousFingerprint256: previous.fingerprint256,
        subject: material.subject,
        notAfter: material.notAfter.toISOString(),
        clientCa: files.clientCaFile !== undefined,
      },
      'TLS certificate reloaded; new connections use it',
    );
    return 'reloaded';
  }

  private failed(key: string, err: Error): ReloadOutcome {
    // The same broken content is reported once, not at every poll; a different content is a new failure.
    if (key === this.lastFailedDigest) return 'failed-again';
    this.lastFailedDigest = key;
    this.options.onReload?.('failure');
    this.options.logger.error(
      { err: err.message, certFile: this.options.files.certFile, keyFile: this.options.files.keyFile },
      'TLS certificate reload failed; still serving the previous certificate',
    );
    return 'failed';
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => this.check(), this.debounceMs);
    this.debounceTimer.unref();
  }

  private watch(): void {
    const { files, logger } = this.options;
    const dirs = new Set(
      [files.certFile, files.keyFile, ...(files.clientCaFile ? [files.clientCaFile] : [])].map(dirname),
    );
    for (const dir of dirs) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.schedule());
        watcher.on('error', (err) => {
          logger.warn({ dir, err: err.message }, 'watching the TLS directory failed; polling instead');
          watcher.close();
          this.watchers = this.watchers.filter((w) => w !== watcher);
        });
        this.watchers.push(watcher);
      } catch (err) {
        logger.warn({ dir, err: (err as Error).message }, 'cannot watch the TLS directory; polling instead');
      }
    }
  }
}
