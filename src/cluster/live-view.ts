import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ClusterIndex } from './cluster-index';
import { ClusterMetrics } from './cluster-metrics';
import { Reflector, type ReflectorStatus, type ReflectorTuning } from './reflector';
import { RESOURCES } from './resources';
import type { ClusterSource } from './source';
import type { ClusterKind, ClusterView } from './types';

export interface LiveClusterViewOptions {
  source: ClusterSource;
  logger: Logger;
  clusterDomain?: string;
  /** Metrics go here when given. */
  registry?: Registry;
  tuning?: Partial<ReflectorTuning>;
}

export interface ClusterViewStatus {
  enabled: true;
  apiServer: string;
  clusterDomain: string;
  /** Every watched kind synced. */
  synced: boolean;
  kinds: ReflectorStatus[];
}

/**
 * The webhook's cluster view: one reflector per kind the configuration needs, all filling one index that policies
 * read synchronously. Admission never waits on it: an unsynced kind is reported by the policies as such.
 */
export class LiveClusterView {
  readonly index: ClusterIndex;
  private readonly reflectors = new Map<ClusterKind, Reflector>();
  private readonly metrics: ClusterMetrics | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: LiveClusterViewOptions) {
    this.index = new ClusterIndex({ clusterDomain: options.clusterDomain });
    this.metrics =
      options.registry === undefined
        ? undefined
        : new ClusterMetrics(options.registry, {
            kinds: () => [...this.reflectors.keys()],
            count: (k) => this.index.count(k),
            synced: (k) => this.index.synced(k),
          });
  }

  /** What policies read. */
  get view(): ClusterView {
    return this.index;
  }

  get kinds(): ClusterKind[] {
    return [...this.reflectors.keys()].sort();
  }

  /** Watches exactly these kinds from now on: starts the new ones, stops and forgets the ones no longer needed. */
  async setKinds(kinds: readonly ClusterKind[]): Promise<void> {
    const wanted = new Set(kinds);
    const stopping: Promise<void>[] = [];
    for (const [kind, reflector] of this.reflectors) {
      if (wanted.has(kind)) continue;
      this.reflectors.delete(kind);
      stopping.push(reflector.stop().then(() => this.index.clear(kind)));
      this.options.logger.info({ kind }, 'cluster view: no enabled policy reads this kind any more; stopped watching');
    }
    for (const kind of wanted) {
      if (this.reflectors.has(kind)) continue;
      const reflector = new Reflector(
        RESOURCES[kind],
        this.options.source,
        this.index,
        this.options.logger,
        this.options.tuning,
        {
          onSynced: () => this.notify(),
          onEvent: (type) => this.metrics?.events.inc({ kind, type }),
          onError: (status) =>
            this.metrics?.errors.inc({ kind, status: status === undefined ? 'none' : String(status) }),
        },
      );
      this.reflectors.set(kind, reflector);
      reflector.start();
    }
    await Promise.all(stopping);
    this.notify();
  }

  get synced(): boolean {
    return this.kinds.every((k) => this.index.synced(k));
  }

  /** Resolves true once every watched kind has synced, or false when the deadline passes first. */
  whenSynced(timeoutMs: number): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!this.synced) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(this.synced);
      }, timeoutMs);
      timer.unref();
      this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  status(): ClusterViewStatus {
    return {
      enabled: true,
      apiServer: this.options.source.description,
      clusterDomain: this.index.clusterDomain,
      synced: this.synced,
      kinds: this.kinds.map((k) => (this.reflectors.get(k) as Reflector).status()),
    };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.reflectors.values()].map((r) => r.stop()));
    this.notify();
  }
}
