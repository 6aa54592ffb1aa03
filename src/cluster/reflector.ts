import type { Logger } from 'pino';
import type { KubeObject } from '../admission/types';
import { asRecord, asString } from '../policy-helpers/object-access';
import type { ClusterIndex } from './cluster-index';
import { collectionPath, type WatchedResource } from './resources';
import { type ClusterSource, SourceError, type WatchEvent } from './source';

export interface ReflectorTuning {
  /** Items per list page. */
  pageSize: number;
  /** Asked of the API server per watch (it ends the watch then; we watch again from where we were), ±20%. */
  watchTimeoutSeconds: number;
  /** A watch that has said nothing (not even a bookmark) this long is presumed dead and restarted. */
  idleTimeoutMs: number;
  /** Backoff after a failure: from min, doubling, up to max, with jitter. */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** When no version of the resource is served (CRD not installed), look again this often. */
  absentRetryMs: number;
  /** A kind whose watch has been failing this long is no longer trusted: policies warn instead of judging. */
  staleAfterMs: number;
  /** A watch that ended sooner than this is followed by a pause of this length (no busy loop on a bad server). */
  minWatchMs: number;
}

export const DEFAULT_TUNING: ReflectorTuning = {
  pageSize: 500,
  watchTimeoutSeconds: 300,
  idleTimeoutMs: 8 * 60_000,
  backoffMinMs: 500,
  backoffMaxMs: 30_000,
  absentRetryMs: 30_000,
  staleAfterMs: 5 * 60_000,
  minWatchMs: 1000,
};

export type ReflectorPhase = 'listing' | 'watching' | 'backoff' | 'absent' | 'stopped';

export interface ReflectorStatus {
  kind: string;
  /** The API path watched, once a served version was found. */
  path?: string;
  phase: ReflectorPhase;
  synced: boolean;
  objects: number;
  /** Initial list completed at (ISO time). */
  syncedAt?: string;
  lastEventAt?: string;
  /** Lists done (the first, then one after every expired resourceVersion or failure). */
  lists: number;
  /** Watches started. */
  watches: number;
  lastError?: { at: string; message: string; status?: number };
}

export interface ReflectorHooks {
  onSynced?(): void;
  onEvent?(type: WatchEvent['type'] | 'LISTED'): void;
  onError?(status: number | undefined): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

function resourceVersionOf(object: unknown): string | undefined {
  return asString(asRecord(asRecord(object)?.metadata)?.resourceVersion);
}

/** The Status an ERROR watch event carries. */
function statusOf(object: unknown): { code?: number; message: string } {
  const o = asRecord(object) ?? {};
  return { code: typeof o.code === 'number' ? o.code : undefined, message: asString(o.message) ?? 'watch error' };
}

/**
 * List, then watch, one kind into the index, for as long as it runs: what an informer does, written against
 * ClusterSource so that only the compact entries are kept (client-node's informer caches every full object).
 *
 * - The first successful list marks the kind synced; a relist (after `410 Gone` or a failure) replaces the kind's
 *   entries, so deletions missed while disconnected disappear too.
 * - Watches are asked for bookmarks and a server-side timeout, and restarted from the last resourceVersion seen;
 *   a watch silent for longer than `idleTimeoutMs` is presumed dead (a half-open connection) and restarted.
 * - Failures back off exponentially; a kind that has been failing for `staleAfterMs` is marked not synced, so
 *   policies report that they cannot judge rather than judge on old data. It is synced again by the next list.
 * - A resource no version of which is served (Istio's CRDs not installed) counts as synced and empty, and is looked
 *   for again every `absentRetryMs`.
 */
export class Reflector {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private version: string | undefined;
  private readonly tuning: ReflectorTuning;
  private failingSince: number | undefined;
  private readonly state: ReflectorStatus;
  private cancelWatch: (() => void) | undefined;

  constructor(
    private readonly resource: WatchedResource,
    private readonly source: ClusterSource,
    private readonly index: ClusterIndex,
    private readonly logger: Logger,
    tuning: Partial<ReflectorTuning> = {},
    private readonly hooks: ReflectorHooks = {},
  ) {
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
    this.state = { kind: resource.kind, phase: 'listing', synced: false, objects: 0, lists: 0, watches: 0 };
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.cancelWatch?.();
    await this.running;
    this.state.phase = 'stopped';
  }

  status(): ReflectorStatus {
    return {
      ...this.state,
      synced: this.index.synced(this.resource.kind),
      objects: this.index.count(this.resource.kind),
    };
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        this.state.phase = 'listing';
        const listed = await this.relist();
        if (listed === undefined) {
          // Not served at all: nothing of this kind can exist, so "none" is the truth until it appears.
          this.state.phase = 'absent';
          await sleep(this.tuning.absentRetryMs, this.abort.signal);
          continue;
        }
        this.recovered();
        attempt = 0;
        this.state.phase = 'watching';
        await this.watchFrom(listed);
      } catch (err) {
        if (this.stopped) break;
        const e = err instanceof SourceError ? err : new SourceError((err as Error).message);
        this.failed(e);
        this.state.phase = 'backoff';
        const base = Math.min(this.tuning.backoffMaxMs, this.tuning.backoffMinMs * 2 ** attempt);
        attempt++;
        await sleep(base / 2 + Math.random() * (base / 2), this.abort.signal);
      }
    }
  }

  private recovered(): void {
    if (this.failingSince !== undefined)
      this.logger.info({ kind: this.resource.kind }, 'cluster view: watching again after errors');
    this.failingSince = undefined;
  }

  private failed(e: SourceError): void {
    const now = Date.now();
    const repeated = this.state.lastError?.message === e.message;
    this.state.lastError = {
      at: new Date(now).toISOString(),
      message: e.message,
      ...(e.status ? { status: e.status } : {}),
    };
    this.hooks.onError?.(e.status);
    this.failingSince ??= now;
    const hint =
      e.status === 401 || e.status === 403
        ? `meshguard's ServiceAccount needs list and watch on ${this.resource.plural}${this.resource.group ? `.${this.resource.group}` : ''}`
        : undefined;
    if (!repeated)
      this.logger.warn(
        { kind: this.resource.kind, err: e.message, status: e.status, hint },
        'cluster view: list or watch failed; retrying',
      );
    if (now - this.failingSince >= this.tuning.staleAfterMs && this.index.synced(this.resource.kind)) {
      this.index.markSynced(this.resource.kind, false);
      this.logger.error(
        { kind: this.resource.kind, since: new Date(this.failingSince).toISOString() },
        'cluster view: no longer trusted (failing too long); cross-object policies warn until it recovers',
      );
    }
  }

  /** Lists every page into the index; the list's resourceVersion, or undefined when no version is served. */
  private async relist(): Promise<string | undefined> {
    const versions = this.version === undefined ? this.resource.versions : [this.version];
    for (const version of versions) {
      let page: Awaited<ReturnType<ClusterSource['list']>>;
      try {
        page = await this.source.list(this.resource, version, { limit: this.tuning.pageSize });
      } catch (err) {
        if (err instanceof SourceError && err.status === 404) continue;
        throw err;
      }
      this.version = version;
      this.state.path = collectionPath(this.resource, version);
      const keep = new Set<string>();
      for (;;) {
        for (const item of page.items) {
          const key = this.index.upsert(this.resource.kind, item as KubeObject);
          if (key !== undefined) keep.add(key);
        }
        if (!page.continueToken) break;
        page = await this.source.list(this.resource, version, {
          limit: this.tuning.pageSize,
          continueToken: page.continueToken,
        });
      }
      this.index.retainOnly(this.resource.kind, keep);
      this.state.lists++;
      this.hooks.onEvent?.('LISTED');
      this.markSynced();
      return page.resourceVersion;
    }
    // Nothing served: forget what we had (the CRD was deleted) and say so.
    this.version = undefined;
    this.index.retainOnly(this.resource.kind, new Set());
    this.state.path = undefined;
    this.markSynced();
    return undefined;
  }

  private markSynced(): void {
    const first = this.state.syncedAt === undefined;
    const wasSynced = this.index.synced(this.resource.kind);
    this.index.markSynced(this.resource.kind);
    if (first) {
      this.state.syncedAt = new Date().toISOString();
      this.logger.info(
        {
          kind: this.resource.kind,
          objects: this.index.count(this.resource.kind),
          path: this.state.path ?? 'not served',
        },
        'cluster view: synced',
      );
    }
    if (!wasSynced) this.hooks.onSynced?.();
  }

  /** Watches from a resourceVersion, again and again, until the version expires (then returns) or a failure. */
  private async watchFrom(resourceVersion: string): Promise<void> {
    let rv = resourceVersion;
    while (!this.stopped) {
      const started = Date.now();
      const outcome = await this.watchOnce(rv);
      if (outcome.expired) return;
      rv = outcome.resourceVersion;
      // A server that ends every watch at once must not make this a busy loop.
      if (Date.now() - started < this.tuning.minWatchMs) await sleep(this.tuning.minWatchMs, this.abort.signal);
    }
  }

  private watchOnce(resourceVersion: string): Promise<{ expired: boolean; resourceVersion: string }> {
    const version = this.version as string;
    const kind = this.resource.kind;
    const timeoutSeconds = Math.round(this.tuning.watchTimeoutSeconds * (0.8 + Math.random() * 0.4));
    let rv = resourceVersion;
    let expired = false;
    let failure: SourceError | undefined;
    return new Promise((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      let cancel: (() => void) | undefined;
      let finished = false;
      const armIdle = () => {
        if (idle !== undefined) clearTimeout(idle);
        idle = setTimeout(() => {
          this.logger.warn(
            { kind, idleMs: this.tuning.idleTimeoutMs },
            'cluster view: watch silent too long; restarting it',
          );
          cancel?.();
        }, this.tuning.idleTimeoutMs);
        idle.unref();
      };
      const finish = (error?: SourceError) => {
        if (finished) return;
        finished = true;
        if (idle !== undefined) clearTimeout(idle);
        this.cancelWatch = undefined;
        const err = failure ?? error;
        if (err !== undefined && err.status === 410) expired = true;
        else if (err !== undefined && !this.stopped) return reject(err);
        resolve({ expired, resourceVersion: rv });
      };
      const onEvent = (event: WatchEvent) => {
        armIdle();
        this.state.lastEventAt = new Date().toISOString();
        this.hooks.onEvent?.(event.type);
        switch (event.type) {
          case 'ADDED':
          case 'MODIFIED':
            this.index.upsert(kind, event.object as KubeObject);
            break;
          case 'DELETED': {
            const key = this.index.keyOf(kind, event.object as KubeObject);
            if (key !== undefined) this.index.remove(kind, key);
            break;
          }
          case 'BOOKMARK':
            break;
          case 'ERROR': {
            const status = statusOf(event.object);
            failure = new SourceError(status.message, status.code);
            cancel?.();
            return;
          }
        }
        rv = resourceVersionOf(event.object) ?? rv;
      };
      armIdle();
      this.state.watches++;
      this.source.watch(this.resource, version, { resourceVersion: rv, timeoutSeconds }, onEvent, finish).then(
        (stop) => {
          cancel = stop;
          this.cancelWatch = stop;
          if (finished || this.stopped) stop();
        },
        (err: unknown) => finish(err instanceof SourceError ? err : new SourceError((err as Error).message)),
      );
    });
  }
}
