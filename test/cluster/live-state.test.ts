import pino from 'pino';
import { Registry } from 'prom-client';
import { policies } from '../../policies';
import { ClusterIndex } from '../../src/cluster/cluster-index';
import { startLiveState } from '../../src/cluster/live-state';
import { Reflector } from '../../src/cluster/reflector';
import { RESOURCES } from '../../src/cluster/resources';
import { deferredSource } from '../../src/cluster/source';
import { loadConfig } from '../../src/config/load-config';
import type { EngineContext } from '../../src/engine/evaluate';
import { MountedConfigMap } from '../config/support/mounted-config';
import { config, schemas } from '../support/engine';
import { eventually, FakeSource } from './support/fake-source';

const logger = pino({ level: 'silent' });
const FAST = { backoffMinMs: 5, backoffMaxMs: 20, minWatchMs: 10 };
const CROSS_OBJECT_OFF = `policies:
  vs-subset-defined: {action: off}
  vs-gateway-defined: {action: off}
  dr-subset-in-use: {action: off}
  peer-authentication-unique: {action: off}
  destination-rule-unique: {action: off}
`;

class FakeReadiness {
  readonly reasons = new Set<string>();
  set(reason: string, blocking: boolean) {
    if (blocking) this.reasons.add(reason);
    else this.reasons.delete(reason);
  }
}

describe('startLiveState', () => {
  it('holds readiness until the view has synced, and watches what the configuration in force needs', async () => {
    const mount = new MountedConfigMap('');
    const source = new FakeSource();
    source.listDelayMs = 150;
    const readiness = new FakeReadiness();
    const engine: EngineContext = { schemas, mode: 'webhook', config: config('') };
    const live = await startLiveState({
      engine,
      configFile: mount.file,
      loadConfig: (text, file) => loadConfig(text, file, policies, schemas.registry),
      logger,
      registry: new Registry(),
      readiness,
      env: {},
      source,
      tuning: FAST,
    });
    try {
      expect(engine.cluster).toBe(live.cluster?.view);
      expect(readiness.reasons.has('cluster view syncing')).toBe(true);
      await eventually(() => readiness.reasons.size === 0);
      expect(live.cluster?.kinds).toEqual([
        'AuthorizationPolicy',
        'DestinationRule',
        'Gateway',
        'PeerAuthentication',
        'Service',
        'ServiceEntry',
        'VirtualService',
      ]);

      // Turning the cross-object policies off (but one) stops the watches no enabled policy needs; a label selector
      // starts the Namespace watch.
      mount.update(
        `${CROSS_OBJECT_OFF}namespaceOverrides:\n  - namespaceSelector: {matchLabels: {a: b}}\n    policies: {mtls-mode: warn}\n`,
      );
      await eventually(() => live.cluster?.kinds.join() === 'AuthorizationPolicy,Namespace', 3000);
      expect(live.status()).toMatchObject({ config: { generation: 2 }, cluster: { enabled: true } });
      expect(engine.config.policies.find((p) => p.policy.id === 'vs-subset-defined')?.action).toBe('off');
    } finally {
      await live.close();
      mount.remove();
    }
  });

  it('is off outside a cluster unless asked, and says so on /status', async () => {
    const engine: EngineContext = { schemas, mode: 'webhook', config: config('') };
    const live = await startLiveState({
      engine,
      loadConfig: (text, file) => loadConfig(text, file, policies, schemas.registry),
      logger,
      registry: new Registry(),
      readiness: new FakeReadiness(),
      env: {},
    });
    expect(engine.cluster).toBeUndefined();
    expect(live.status()).toEqual({
      config: { source: 'embedded default', generation: 1 },
      cluster: {
        enabled: false,
        reason: 'off (MESHGUARD_CLUSTER_VIEW=auto, not in a cluster); cross-object policies check nothing',
      },
    });
    await live.close();
    await expect(
      startLiveState({
        engine,
        loadConfig: (text, file) => loadConfig(text, file, policies, schemas.registry),
        logger,
        registry: new Registry(),
        readiness: new FakeReadiness(),
        env: { MESHGUARD_CLUSTER_VIEW: 'sometimes' },
      }),
    ).rejects.toThrow('MESHGUARD_CLUSTER_VIEW=sometimes: must be auto, on or off');
  });

  it('a source that cannot be set up fails lists like an unreachable API server, and is shown as such', async () => {
    const index = new ClusterIndex();
    const source = deferredSource(Promise.reject(new Error('no kubeconfig found')), 'KUBECONFIG');
    const reflector = new Reflector(RESOURCES.Gateway, source, index, logger, FAST);
    reflector.start();
    await eventually(() => reflector.status().lastError !== undefined);
    expect(reflector.status()).toMatchObject({
      synced: false,
      lastError: { message: 'cannot connect to the API server: no kubeconfig found' },
    });
    expect(source.description).toBe('KUBECONFIG (cannot connect to the API server: no kubeconfig found)');
    await reflector.stop();
  });
});
