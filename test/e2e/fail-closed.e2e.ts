// The safe failure policy behind a real kube-apiserver (issue 8 item 3, docs/operations.md#safe-failure-policy):
// the chart's webhook configuration rendered with webhook.failClosedAfterProbe=true is installed with
// failurePolicy Ignore; while nothing listens at meshguard's port, writes it would deny are admitted. meshguard,
// started with credentials to the API server (the harness's admin kubeconfig) and --fail-closed-after-probe, proves
// through a server-side dry-run create that the API server reaches it, then patches the configuration to Fail: writes
// are reviewed, and once meshguard is stopped they are rejected with the API server's "failed calling webhook".
import { join } from 'node:path';
import type { KubectlResult } from './support/controlplane';
import { type E2eEnvironment, startEnvironment, TAKES_EFFECT_TIMEOUT_MS, WEBHOOK_NAME } from './support/environment';
import { MESHGUARD_MAIN, MESHGUARD_START_TIMEOUT_MS } from './support/meshguard';
import { get, ManagedProcess, waitFor } from './support/processes';
import { renderWebhookConfiguration, writeManifest } from './support/webhook';

const ENVIRONMENT_TIMEOUT_MS = 6 * 60_000;
const SCENARIO_TIMEOUT_MS = 3 * 60_000;
/** meshguard probes as soon as it is ready; the first attempt should succeed. The bound only absorbs a slow machine. */
const FAIL_CLOSED_WITHIN_MS = 30_000;
const NAMESPACE = 'e2e-fail-closed';

let env: E2eEnvironment;
let meshguard: ManagedProcess | undefined;
const measured: Record<string, number> = {};

const permissive = (name: string) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}}
spec: {mtls: {mode: PERMISSIVE}}
`;
const apply = (yaml: string, dryRun = false) =>
  env.kubectl(['apply', ...(dryRun ? ['--dry-run=server'] : []), '-n', NAMESPACE, '-f', '-'], { stdin: yaml });
const denied = (r: KubectlResult) => r.code !== 0 && r.stderr.includes(`admission webhook "${WEBHOOK_NAME}" denied`);
const answer = (r: KubectlResult) => `exit ${r.code}: ${(r.stderr || r.stdout).trim()}`;

/**
 * meshguard on the harness's port and certificate (so the webhook configuration's URL and caBundle fit), with the
 * control plane's admin kubeconfig and the probe on, all through the environment variables the chart sets.
 */
async function startProbingMeshguard(webhookConfiguration: string): Promise<ManagedProcess> {
  const dir = join(env.dir, 'meshguard');
  const processEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(processEnv)) if (key.startsWith('MESHGUARD_')) delete processEnv[key];
  delete processEnv.KUBERNETES_SERVICE_HOST;
  Object.assign(processEnv, {
    MESHGUARD_FAIL_CLOSED_AFTER_PROBE: webhookConfiguration,
    MESHGUARD_PROBE_NAMESPACE: NAMESPACE,
    MESHGUARD_KUBECONFIG: env.cluster.kubeconfig,
  });
  const proc = new ManagedProcess(
    'meshguard (fail closed after probe)',
    process.execPath,
    [
      MESHGUARD_MAIN,
      'serve',
      '--host=127.0.0.1',
      `--port=${env.meshguard.port}`,
      `--cert=${join(dir, 'tls.crt')}`,
      `--key=${join(dir, 'tls.key')}`,
      '--metrics-host=127.0.0.1',
      `--metrics-port=${env.meshguard.metricsPort}`,
      '--log-level=info',
    ],
    join(dir, 'meshguard-fail-closed.log'),
    { env: processEnv },
  );
  try {
    await waitFor(
      'meshguard /readyz',
      async () => {
        const r = await get(`https://127.0.0.1:${env.meshguard.port}/readyz`, { ca: env.meshguard.caPem });
        return r.status === 200 ? true : undefined;
      },
      { timeoutMs: MESHGUARD_START_TIMEOUT_MS, process: proc },
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

beforeAll(async () => {
  env = await startEnvironment();
  // The harness's meshguard (no credentials, no probe) goes: from here on nothing listens at its port.
  await env.meshguard.stop();
  await env.createNamespace(NAMESPACE);
}, ENVIRONMENT_TIMEOUT_MS);

afterAll(async () => {
  process.stderr.write(
    `e2e fail closed: ${Object.entries(measured)
      .map(([k, v]) => `${k} ${v} ms`)
      .join(', ')}\n`,
  );
  await meshguard?.stop();
  await env?.stop();
}, 60_000);

describe('safe failure policy behind a real kube-apiserver', () => {
  test(
    'installed with Ignore, meshguard probes, patches its configuration to Fail, and enforcement is fail-closed',
    async () => {
      // (1) The chart's configuration with failClosedAfterProbe: Ignore, with the consent annotation.
      const config = renderWebhookConfiguration({
        caPem: env.meshguard.caPem,
        baseUrl: `https://127.0.0.1:${env.meshguard.port}`,
        set: ['webhook.failClosedAfterProbe=true', `webhook.probeNamespace=${NAMESPACE}`],
      });
      const name = (config.metadata as { name: string }).name;
      const webhooks = config.webhooks as Array<{ name: string; failurePolicy: string }>;
      expect(webhooks.map((w) => [w.name, w.failurePolicy])).toEqual([[WEBHOOK_NAME, 'Ignore']]);
      expect((config.metadata as { annotations?: Record<string, string> }).annotations).toMatchObject({
        'meshguard.io/fail-closed-after-probe': 'true',
      });
      await env.kubectlOk(['apply', '-f', writeManifest(env.dir, 'webhook-fail-closed.json', config)]);
      const policy = () =>
        env.kubectlOk(['get', 'validatingwebhookconfiguration', name, '-o', 'jsonpath={.webhooks[0].failurePolicy}']);
      expect(await policy()).toBe('Ignore');

      // The API server picks the configuration up through an informer: wait until Ignore is what it enforces.
      let last: KubectlResult | undefined;
      await waitFor(
        'failurePolicy Ignore to take effect (a PERMISSIVE PeerAuthentication admitted, server dry run)',
        async () => {
          last = await apply(permissive('legacy'), true);
          if (last.code === 0) return true;
          throw new Error(answer(last));
        },
        { timeoutMs: TAKES_EFFECT_TIMEOUT_MS, intervalMs: 500 },
      );
      // Nothing listens: Ignore admits what meshguard would deny.
      expect(await apply(permissive('legacy'))).toEqual({
        code: 0,
        stdout: 'peerauthentication.security.istio.io/legacy created\n',
        stderr: '',
      });

      // (2) meshguard with credentials and the probe: the configuration becomes Fail within a bounded time.
      const started = Date.now();
      meshguard = await startProbingMeshguard(name);
      const mg = meshguard;
      await waitFor(
        `${name} to be patched to failurePolicy Fail`,
        async () => {
          const p = await policy();
          if (p === 'Fail') return true;
          throw new Error(`failurePolicy is ${p}`);
        },
        { timeoutMs: FAIL_CLOSED_WITHIN_MS, intervalMs: 250, process: mg },
      );
      measured.failClosed = Date.now() - started;
      const metrics = await waitFor(
        'meshguard_webhook_fail_closed 1',
        async () => {
          const r = await get(`http://127.0.0.1:${env.meshguard.metricsPort}/metrics`);
          return /^meshguard_webhook_fail_closed 1$/m.test(r.body) ? r.body : undefined;
        },
        { timeoutMs: 10_000, process: mg },
      );
      expect(metrics).toMatch(/^meshguard_reachability_probes_total\{result="reached"\} [1-9]/m);

      // Enforcement: a PERMISSIVE PeerAuthentication is now denied by meshguard.
      let deniedResult: KubectlResult | undefined;
      await waitFor(
        'meshguard to deny a PERMISSIVE PeerAuthentication',
        async () => {
          deniedResult = await apply(permissive('legacy-2'));
          if (denied(deniedResult)) return true;
          throw new Error(answer(deniedResult));
        },
        { timeoutMs: TAKES_EFFECT_TIMEOUT_MS, intervalMs: 500, process: mg },
      );
      expect(deniedResult?.stderr).toContain(
        `PeerAuthentication ${NAMESPACE}/legacy-2 was rejected by meshguard (1 violation):\n[mtls-mode] spec.mtls.mode: `,
      );

      // (3) meshguard stopped: Fail now rejects with the API server's error, even a write it would admit.
      await mg.stop();
      const url = `https://127.0.0.1:${env.meshguard.port}/validate`;
      let failed: KubectlResult | undefined;
      await waitFor(
        'the API server to fail closed',
        async () => {
          failed = await apply(permissive('legacy-3'));
          if (failed.code !== 0 && failed.stderr.includes('failed calling webhook')) return true;
          throw new Error(answer(failed));
        },
        { timeoutMs: TAKES_EFFECT_TIMEOUT_MS, intervalMs: 500 },
      );
      expect(failed?.stderr).toContain(
        `Internal error occurred: failed calling webhook "${WEBHOOK_NAME}": failed to call webhook: Post "${url}?timeout=5s": ` +
          `dial tcp 127.0.0.1:${env.meshguard.port}: connect: connection refused`,
      );
      expect(await policy()).toBe('Fail');
      const notStored = await env.kubectl(['get', '-n', NAMESPACE, 'peerauthentication', 'legacy-2', 'legacy-3']);
      expect(notStored.stderr).toContain('NotFound');
    },
    SCENARIO_TIMEOUT_MS,
  );
});
