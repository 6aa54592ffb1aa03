import type { KubeObject } from '../../../src/admission/types';
import type { WatchedResource } from '../../../src/cluster/resources';
import { type ClusterSource, type ListPage, SourceError, type WatchEvent } from '../../../src/cluster/source';

interface Watcher {
  plural: string;
  onEvent: (e: WatchEvent) => void;
  onDone: (e?: SourceError) => void;
  ended: boolean;
}

const keyOf = (o: KubeObject) => {
  const m = o.metadata as { namespace?: string; name: string };
  return `${m.namespace ?? ''}/${m.name}`;
};

/**
 * An in-memory API server for the reflector: objects per resource (plural), a resourceVersion counter, paged
 * lists, watches that receive every change, and knobs to make calls fail.
 */
export class FakeSource implements ClusterSource {
  readonly description = 'fake source';
  private rv = 100;
  private readonly store = new Map<string, Map<string, KubeObject>>();
  private readonly watchers = new Set<Watcher>();
  /** Every change, for watches that start from an older resourceVersion (as etcd's history serves them). */
  private readonly history: Array<{ plural: string; rv: number; event: WatchEvent }> = [];
  /** Versions served per plural; absent: every version. */
  served: Record<string, string[]> = {};
  /** Makes the next calls fail: return an error to throw. */
  failList: (plural: string, version: string) => SourceError | undefined = () => undefined;
  failWatch: (plural: string) => SourceError | undefined = () => undefined;
  /** Delay before a list answers. */
  listDelayMs = 0;
  lists: string[] = [];
  watches: Array<{ plural: string; resourceVersion: string }> = [];

  private bucket(plural: string): Map<string, KubeObject> {
    let b = this.store.get(plural);
    if (b === undefined) {
      b = new Map();
      this.store.set(plural, b);
    }
    return b;
  }

  private stamp(o: KubeObject): KubeObject {
    this.rv++;
    return { ...o, metadata: { ...(o.metadata as object), resourceVersion: String(this.rv) } };
  }

  private emit(plural: string, event: WatchEvent): void {
    if (event.type !== 'ERROR') this.history.push({ plural, rv: this.rv, event });
    for (const w of this.watchers) if (w.plural === plural && !w.ended) w.onEvent(event);
  }

  put(plural: string, object: KubeObject): void {
    const b = this.bucket(plural);
    const stamped = this.stamp(object);
    const existed = b.has(keyOf(object));
    b.set(keyOf(object), stamped);
    this.emit(plural, { type: existed ? 'MODIFIED' : 'ADDED', object: stamped });
  }

  remove(plural: string, object: KubeObject): void {
    const b = this.bucket(plural);
    const old = b.get(keyOf(object));
    if (old === undefined) return;
    b.delete(keyOf(object));
    this.emit(plural, { type: 'DELETED', object: this.stamp(old) });
  }

  /** Changes the store without telling watchers (what a client misses while disconnected). */
  putSilently(plural: string, object: KubeObject): void {
    this.bucket(plural).set(keyOf(object), this.stamp(object));
  }
  removeSilently(plural: string, object: KubeObject): void {
    this.bucket(plural).delete(keyOf(object));
  }

  /** Ends every watch of a resource with a 410 Gone ERROR event, as an API server does after compaction. */
  expire(plural: string): void {
    this.emit(plural, { type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version' } });
  }

  bookmark(plural: string): void {
    this.emit(plural, { type: 'BOOKMARK', object: { metadata: { resourceVersion: String(++this.rv) } } });
  }

  /** Ends every open watch cleanly (the server-side timeout). */
  endWatches(): void {
    for (const w of [...this.watchers]) this.end(w);
  }

  get openWatches(): number {
    return [...this.watchers].filter((w) => !w.ended).length;
  }

  private end(w: Watcher, error?: SourceError): void {
    if (w.ended) return;
    w.ended = true;
    this.watchers.delete(w);
    w.onDone(error);
  }

  async list(
    resource: WatchedResource,
    version: string,
    options: { limit: number; continueToken?: string },
  ): Promise<ListPage> {
    this.lists.push(`${resource.plural}@${version}${options.continueToken ? `+${options.continueToken}` : ''}`);
    if (this.listDelayMs > 0) await new Promise((r) => setTimeout(r, this.listDelayMs));
    const served = this.served[resource.plural];
    if (served !== undefined && !served.includes(version))
      throw new SourceError('the server could not find the requested resource', 404);
    const failure = this.failList(resource.plural, version);
    if (failure) throw failure;
    const all = [...this.bucket(resource.plural).values()];
    const start = Number(options.continueToken ?? '0');
    const items = all.slice(start, start + options.limit);
    const next = start + options.limit < all.length ? String(start + options.limit) : undefined;
    return { items, resourceVersion: String(this.rv), ...(next ? { continueToken: next } : {}) };
  }

  async watch(
    resource: WatchedResource,
    _version: string,
    options: { resourceVersion: string; timeoutSeconds: number },
    onEvent: (event: WatchEvent) => void,
    onDone: (error?: SourceError) => void,
  ): Promise<() => void> {
    this.watches.push({ plural: resource.plural, resourceVersion: options.resourceVersion });
    const w: Watcher = { plural: resource.plural, onEvent, onDone, ended: false };
    const failure = this.failWatch(resource.plural);
    if (failure) {
      queueMicrotask(() => onDone(failure));
      return () => undefined;
    }
    this.watchers.add(w);
    const from = Number(options.resourceVersion);
    for (const h of this.history) if (h.plural === resource.plural && h.rv > from && !w.ended) onEvent(h.event);
    return () => this.end(w);
  }
}

/** Polls until the predicate holds (the reflector works on the event loop), failing after `ms`. */
export async function eventually(predicate: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
