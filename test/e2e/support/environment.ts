import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/helm';
import { type ControlPlane, type KubectlResult, startControlPlane } from './controlplane';
import { Meshguard } from './meshguard';
import { waitFor } from './processes';
import { renderWebhookConfiguration, writeManifest } from './webhook';

export const ISTIO_CRDS = join(REPO_ROOT, 'schemas/istio/crds.gen.yaml');
export const WEBHOOK_NAME = 'validate.meshguard.io';
/** The namespace the harness probes in to see whether the webhook configuration in force is the one it expects. */
const PROBE_NAMESPACE = 'e2e-probe';
const PROBE_OBJECT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: probe, namespace: ${PROBE_NAMESPACE}}
spec: {mtls: {mode: PERMISSIVE}}
`;
/** How long a changed webhook configuration or a restarted meshguard may take to show in the API server's answers. */
export const TAKES_EFFECT_TIMEOUT_MS = 30_000;

export interface Timings {
  /** etcd and kube-apiserver started, /readyz ok. */
  controlPlaneMs: number;
  /** Istio's CRDs applied and established. */
  crdsMs: number;
  /** meshguard started and the webhook configuration in force. */
  webhookMs: number;
}

export interface E2eEnvironment {
  dir: string;
  cluster: ControlPlane;
  meshguard: Meshguard;
  timings: Timings;
  kubectl: ControlPlane['kubectl'];
  kubectlOk: ControlPlane['kubectlOk'];
  /**
   * Renders the chart's webhook configuration (with extra `--set`s) and applies it. The API server reads webhook
   * configurations through an informer: a change shows in its answers a moment later (poll for it).
   */
  registerWebhook(set?: readonly string[]): Promise<void>;
  createNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /** Blocks until a PERMISSIVE PeerAuthentication (server dry run) is denied by meshguard: enforcement is on. */
  waitUntilEnforced(): Promise<void>;
  stop(): Promise<void>;
}

const isDenial = (r: KubectlResult) => r.code !== 0 && r.stderr.includes(`admission webhook "${WEBHOOK_NAME}" denied`);

/**
 * The whole setup: a control plane, Istio's CRDs, meshguard with the default configuration, and the chart's
 * webhook configuration pointing at it. `stop()` stops everything and removes the folder (kept when
 * MESHGUARD_E2E_KEEP=1, for reading the logs).
 */
export async function startEnvironment(): Promise<E2eEnvironment> {
  const dir = mkdtempSync(join(tmpdir(), 'meshguard-e2e-'));
  process.stderr.write(`e2e: working in ${dir}\n`);
  let cluster: ControlPlane | undefined;
  let meshguard: Meshguard | undefined;
  const stop = async () => {
    await meshguard?.stop();
    await cluster?.stop();
    if (process.env.MESHGUARD_E2E_KEEP) process.stderr.write(`e2e: logs kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  };
  try {
    cluster = await startControlPlane(join(dir, 'cluster'));
    const c = cluster;
    const crdsStarted = Date.now();
    // Server-side apply: the CRDs are too big for the last-applied annotation of a client-side apply.
    await c.kubectlOk(['apply', '--server-side', '-f', ISTIO_CRDS], { timeoutMs: 120_000 });
    await c.kubectlOk(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s'], { timeoutMs: 90_000 });
    const crdsMs = Date.now() - crdsStarted;

    const webhookStarted = Date.now();
    const mg = await Meshguard.create(join(dir, 'meshguard'));
    meshguard = mg;
    await mg.start();

    const createNamespace = async (name: string, labels: Record<string, string> = {}) => {
      const manifest = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels },
      };
      await c.kubectlOk(['apply', '-f', '-'], { stdin: JSON.stringify(manifest) });
    };
    await createNamespace(PROBE_NAMESPACE);

    const probe = () => c.kubectl(['apply', '--dry-run=server', '-f', '-'], { stdin: PROBE_OBJECT });
    const waitUntilEnforced = async () => {
      let last: KubectlResult | undefined;
      await waitFor(
        'meshguard to deny the probe object (a PERMISSIVE PeerAuthentication, server dry run)',
        async () => {
          last = await probe();
          if (isDenial(last)) return true;
          throw new Error(`kubectl exited ${last.code}: ${(last.stderr || last.stdout).trim()}`);
        },
        { timeoutMs: TAKES_EFFECT_TIMEOUT_MS, intervalMs: 500 },
      );
    };

    let registered = 0;
    const registerWebhook = async (set: readonly string[] = []) => {
      registered += 1;
      const config = renderWebhookConfiguration({
        caPem: mg.caPem,
        baseUrl: `https://127.0.0.1:${mg.port}`,
        set,
      });
      const file = writeManifest(dir, `webhook-${registered}.json`, config);
      await c.kubectlOk(['apply', '-f', file]);
    };
    await registerWebhook();
    await waitUntilEnforced();
    const webhookMs = Date.now() - webhookStarted;

    return {
      dir,
      cluster: c,
      meshguard: mg,
      timings: { controlPlaneMs: c.startMs, crdsMs, webhookMs },
      kubectl: c.kubectl,
      kubectlOk: c.kubectlOk,
      registerWebhook,
      createNamespace,
      waitUntilEnforced,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
