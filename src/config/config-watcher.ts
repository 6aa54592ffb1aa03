import { createHash } from 'node:crypto';
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { EngineConfig } from './engine-config';
import { type ConfigError, type ConfigResult, formatConfigError } from './load-config';

export interface ConfigWatcherOptions {
  file: string;
  /** Validates and resolves a text (loadConfig with the registry); nothing is applied unless it is ok. */
  load(text: string, file: string): ConfigResult;
  /** Puts a new configuration in force; called between requests, never during one. */
  apply(config: EngineConfig, generation: number): void;
  logger: Logger;
  /** The text the configuration in force was loaded from (so the first look does not reload it). */
  initialText?: string;
  /** How often the file is read anyway (watch events can be missed, e.g. on some volume types). */
  pollIntervalMs?: number;
  /** Changes arriving in a burst (the kubelet's symlink swap is several renames) are read once, after this. */
  debounceMs?: number;
  /** `reverted`: the file is back to the text in force after a rejected change. */
  onResult?(result: 'applied' | 'rejected' | 'reverted', generation: number): void;
}

export interface ConfigStatus {
  file: string;
  /** 1 for the configuration loaded at start-up, +1 for each change applied since. */
  generation: number;
  appliedAt: string;
  /** sha256 of the text in force, first 12 hex digits: which version of the ConfigMap that is. */
  digest: string;
  lastCheckAt?: string;
  /** The newest text that was rejected, while the file still holds it; null once a good version is applied. */
  lastError: null | { at: string; digest: string; errors: string[] };
  reloads: { applied: number; rejected: number };
}

const digestOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

/**
 * Live configuration from a mounted file. Kubernetes updates a ConfigMap volume by writing a new timestamped folder
 * and swapping the `..data` symlink, so the folder is watched (a watch on the file itself would follow the old
 * inode), and the file is also read every `pollIntervalMs` as a safety net. A new text is validated in full: when
 * it is good it is applied at once (a new generation); when it is broken the configuration in force stays, the
 * errors are logged once per broken version, counted, and shown by status() until a good version replaces it.
 */
export class ConfigWatcher {
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private appliedDigest: string;
  private rejectedDigest: string | undefined;
  private state: ConfigStatus;
  private closed = false;

  constructor(private readonly options: ConfigWatcherOptions) {
    const text = options.initialText ?? this.read().text ?? '';
    this.appliedDigest = digestOf(text);
    this.state = {
      file: options.file,
      generation: 1,
      appliedAt: new Date().toISOString(),
      digest: this.appliedDigest,
      lastError: null,
      reloads: { applied: 0, rejected: 0 },
    };
  }

  start(): void {
    try {
      // The folder, not the file: the kubelet replaces the file's target by renaming a symlink.
      // Any entry of the folder may be the one: the file, `..data`, a `..2026_…` folder. Reading is cheap.
      this.watcher = watch(dirname(this.options.file), { persistent: false }, () => this.schedule());
      this.watcher.on('error', (err) => {
        this.options.logger.warn({ err: err.message }, 'configuration: folder watch failed; relying on polling');
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'configuration: cannot watch the folder; polling only');
    }
    this.poll = setInterval(() => this.check(), this.options.pollIntervalMs ?? 2000);
    this.poll.unref();
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    if (this.poll !== undefined) clearInterval(this.poll);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
  }

  status(): ConfigStatus {
    return { ...this.state, reloads: { ...this.state.reloads } };
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.check(), this.options.debounceMs ?? 100);
    this.debounce.unref();
  }

  private read(): { text?: string; error?: string } {
    try {
      return { text: readFileSync(this.options.file, 'utf8') };
    } catch (err) {
      return { error: (err as NodeJS.ErrnoException).message };
    }
  }

  /** Reads the file and applies it if it changed and is valid. Synchronous: runs between requests. */
  check(): 'unchanged' | 'applied' | 'rejected' {
    if (this.closed) return 'unchanged';
    this.state.lastCheckAt = new Date().toISOString();
    const { text, error } = this.read();
    const digest = text === undefined ? `unreadable:${error}` : digestOf(text);
    if (digest === this.appliedDigest) {
      // Back to the version in force (a bad edit reverted): nothing is wrong any more.
      if (this.state.lastError !== null) {
        this.state.lastError = null;
        this.options.logger.info({ file: this.options.file }, 'configuration file is back to the version in force');
        this.options.onResult?.('reverted', this.state.generation);
      }
      this.rejectedDigest = undefined;
      return 'unchanged';
    }
    if (digest === this.rejectedDigest) return 'unchanged';
    const result: ConfigResult =
      text === undefined
        ? {
            ok: false,
            errors: [
              {
                file: this.options.file,
                line: 1,
                column: 1,
                path: '',
                message: `cannot read the configuration: ${error}`,
              },
            ],
          }
        : this.options.load(text, this.options.file);
    if (!result.ok) return this.reject(digest, result.errors);
    const generation = this.state.generation + 1;
    this.options.apply(result.config, generation);
    this.appliedDigest = digest;
    this.rejectedDigest = undefined;
    this.state = {
      ...this.state,
      generation,
      appliedAt: new Date().toISOString(),
      digest,
      lastError: null,
      reloads: { ...this.state.reloads, applied: this.state.reloads.applied + 1 },
    };
    this.options.logger.info({ file: this.options.file, generation, digest }, 'configuration reloaded');
    this.options.onResult?.('applied', generation);
    return 'applied';
  }

  private reject(digest: string, errors: ConfigError[]): 'rejected' {
    const lines = errors.map(formatConfigError);
    this.rejectedDigest = digest;
    this.state = {
      ...this.state,
      lastError: {
        at: new Date().toISOString(),
        digest: digest.startsWith('unreadable:') ? 'unreadable' : digest,
        errors: lines,
      },
      reloads: { ...this.state.reloads, rejected: this.state.reloads.rejected + 1 },
    };
    this.options.logger.error(
      { file: this.options.file, generation: this.state.generation, errors: lines },
      'configuration change rejected; the last good configuration stays in force',
    );
    this.options.onResult?.('rejected', this.state.generation);
    return 'rejected';
  }
}
