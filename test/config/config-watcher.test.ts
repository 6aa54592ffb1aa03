import pino from 'pino';
import { Registry } from 'prom-client';
import { policies } from '../../policies';
import { ConfigMetrics } from '../../src/config/config-metrics';
import { ConfigWatcher } from '../../src/config/config-watcher';
import type { EngineConfig } from '../../src/config/engine-config';
import { loadConfig } from '../../src/config/load-config';
import { eventually } from '../cluster/support/fake-source';
import { schemas } from '../support/engine';
import { MountedConfigMap } from './support/mounted-config';

const GOOD = 'policies:\n  mtls-mode: {action: deny}\n';
const WARN = 'policies:\n  mtls-mode: {action: warn}\n';
const BROKEN = 'policies:\n  mtls-mode: {action: block}\n';

describe('ConfigWatcher on a mounted ConfigMap', () => {
  let mount: MountedConfigMap;
  let watcher: ConfigWatcher;
  let applied: Array<{ generation: number; action: string }>;
  let registry: Registry;
  let logs: Array<Record<string, unknown>>;

  beforeEach(() => {
    mount = new MountedConfigMap(GOOD);
    applied = [];
    logs = [];
    registry = new Registry();
    const metrics = new ConfigMetrics(registry);
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
    watcher = new ConfigWatcher({
      file: mount.file,
      load: (text, file) => loadConfig(text, file, policies, schemas.registry),
      apply: (config: EngineConfig, generation) =>
        applied.push({
          generation,
          action: config.policies.find((p) => p.policy.id === 'mtls-mode')?.action ?? '?',
        }),
      logger,
      // Long, so that only the folder watch can make these tests pass in time.
      pollIntervalMs: 60_000,
      onResult: (result, generation) => metrics.record(result, generation),
    });
    watcher.start();
  });
  afterEach(() => {
    watcher.close();
    mount.remove();
  });

  const metric = async (name: string) =>
    (await registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#'));

  it('applies a valid change within seconds, as a new generation', async () => {
    expect(watcher.status()).toMatchObject({ generation: 1, lastError: null });
    mount.update(WARN);
    await eventually(() => applied.length === 1, 3000);
    expect(applied).toEqual([{ generation: 2, action: 'warn' }]);
    expect(watcher.status()).toMatchObject({ generation: 2, lastError: null, reloads: { applied: 1, rejected: 0 } });
    expect(await metric('meshguard_config_generation')).toEqual(['meshguard_config_generation 2']);
  });

  it('keeps the last good configuration when a broken one arrives, and shows why until it is fixed', async () => {
    mount.update(WARN);
    await eventually(() => applied.length === 1, 3000);
    mount.update(BROKEN);
    await eventually(() => watcher.status().lastError !== null, 3000);
    const status = watcher.status();
    expect(status.generation).toBe(2);
    expect(status.lastError?.errors).toEqual([
      `${mount.file}:2:15: policies.mtls-mode.action: must be one of "deny", "warn", "audit", "off", not "block"`,
    ]);
    expect(applied).toHaveLength(1);
    expect(await metric('meshguard_config_reloads_total')).toEqual([
      'meshguard_config_reloads_total{result="applied"} 1',
      'meshguard_config_reloads_total{result="rejected"} 1',
    ]);
    expect(await metric('meshguard_config_last_reload_successful')).toEqual([
      'meshguard_config_last_reload_successful 0',
    ]);
    const rejected = logs.find(
      (l) => l.msg === 'configuration change rejected; the last good configuration stays in force',
    );
    expect(rejected?.errors).toEqual(status.lastError?.errors);

    // The same broken text seen again (polling) is not logged or counted twice.
    expect(watcher.check()).toBe('unchanged');
    expect(watcher.status().reloads.rejected).toBe(1);

    mount.update(GOOD);
    await eventually(() => applied.length === 2, 3000);
    expect(watcher.status()).toMatchObject({ generation: 3, lastError: null });
    expect(await metric('meshguard_config_last_reload_successful')).toEqual([
      'meshguard_config_last_reload_successful 1',
    ]);
  });

  it('clears the error when the file goes back to the version in force', async () => {
    mount.update(BROKEN);
    await eventually(() => watcher.status().lastError !== null, 3000);
    mount.update(GOOD);
    await eventually(() => watcher.status().lastError === null, 3000);
    expect(watcher.status().generation).toBe(1);
    expect(applied).toEqual([]);
  });

  it('treats a vanished file as a rejected change', () => {
    mount.remove();
    expect(watcher.check()).toBe('rejected');
    expect(watcher.status().lastError?.errors[0]).toMatch(/cannot read the configuration: ENOENT/);
    expect(watcher.status().generation).toBe(1);
  });
});
