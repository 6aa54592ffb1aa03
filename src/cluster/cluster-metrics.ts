import { Counter, Gauge, type Registry } from '../server/prometheus';
import type { ClusterKind } from './types';

/** The cluster view's metrics, registered on the server's registry (served on /metrics with the others). */
export class ClusterMetrics {
  readonly events: Counter<'kind' | 'type'>;
  readonly errors: Counter<'kind' | 'status'>;

  constructor(
    registry: Registry,
    read: { kinds(): ClusterKind[]; count(kind: ClusterKind): number; synced(kind: ClusterKind): boolean },
  ) {
    new Gauge({
      name: 'meshguard_cluster_objects',
      help: 'Objects held in the cluster view, by kind.',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        for (const kind of read.kinds()) this.set({ kind }, read.count(kind));
      },
    });
    new Gauge({
      name: 'meshguard_cluster_synced',
      help: 'Whether the cluster view has synced a kind (1) or not (0): cross-object policies only warn until it has.',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        for (const kind of read.kinds()) this.set({ kind }, read.synced(kind) ? 1 : 0);
      },
    });
    this.events = new Counter({
      name: 'meshguard_cluster_watch_events_total',
      help: 'Watch events applied to the cluster view (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR; LISTED per list), by kind.',
      labelNames: ['kind', 'type'],
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'meshguard_cluster_errors_total',
      help: 'Failed lists and watches of the cluster view, by kind and HTTP status (none: no answer).',
      labelNames: ['kind', 'status'],
      registers: [registry],
    });
  }
}
