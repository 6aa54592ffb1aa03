import { Counter, Gauge, type Registry } from '../server/prometheus';

/** Live configuration metrics, registered on the server's registry. */
export class ConfigMetrics {
  readonly reloads: Counter<'result'>;
  readonly generation: Gauge;
  readonly lastReloadSuccessful: Gauge;
  readonly lastAppliedSeconds: Gauge;

  constructor(registry: Registry) {
    this.reloads = new Counter({
      name: 'meshguard_config_reloads_total',
      help: 'Configuration changes seen on disk, by result: applied, or rejected (invalid; the last good one stays).',
      labelNames: ['result'],
      registers: [registry],
    });
    // Both results exist from the start, so rate() and alerts see a zero rather than no series.
    this.reloads.inc({ result: 'applied' }, 0);
    this.reloads.inc({ result: 'rejected' }, 0);
    this.generation = new Gauge({
      name: 'meshguard_config_generation',
      help: 'Generation of the configuration in force: 1 at start-up, +1 per change applied.',
      registers: [registry],
    });
    this.generation.set(1);
    this.lastReloadSuccessful = new Gauge({
      name: 'meshguard_config_last_reload_successful',
      help: 'Whether the newest configuration on disk is the one in force (1) or was rejected (0).',
      registers: [registry],
    });
    this.lastReloadSuccessful.set(1);
    this.lastAppliedSeconds = new Gauge({
      name: 'meshguard_config_last_applied_timestamp_seconds',
      help: 'When the configuration in force was applied (Unix seconds).',
      registers: [registry],
    });
    this.lastAppliedSeconds.set(Date.now() / 1000);
  }

  record(result: 'applied' | 'rejected' | 'reverted', generation: number): void {
    if (result !== 'reverted') this.reloads.inc({ result });
    this.lastReloadSuccessful.set(result === 'rejected' ? 0 : 1);
    if (result === 'applied') {
      this.generation.set(generation);
      this.lastAppliedSeconds.set(Date.now() / 1000);
    }
  }
}
