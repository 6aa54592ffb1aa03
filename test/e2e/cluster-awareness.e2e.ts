// Cluster awareness behind a real kube-apiserver (docs/e2e.md): meshguard runs with its cluster view on (list and
// watch through @kubernetes/client-node, with the harness's admin kubeconfig) and a configuration file laid out as
// a mounted ConfigMap. Objects are created and deleted with kubectl, and kubectl's answers change within a second
// or two; configuration changes take effect without a restart, and a broken one leaves the last good one in force.
import { join } from 'node:path';
import { MountedConfigMap } from '../config/support/mounted-config';
import type { KubectlResult } from './support/controlplane';
import { type E2eEnvironment, startEnvironment, WEBHOOK_NAME } from './support/environment';
import { MESHGUARD_MAIN, MESHGUARD_START_TIMEOUT_MS } from './support/meshguard';
import { get, ManagedProcess, waitFor } from './support/processes';

const ENVIRONMENT_TIMEOUT_MS = 6 * 60_000;
const SCENARIO_TIMEOUT_MS = 3 * 60_000;
/** "Within a second or two": what the issue asks; the bound below only keeps a slow CI machine from flaking. */
const SEEN_WITHIN_MS = 2000;
const WAIT_BOUND_MS = 10_000;

const BASE_CONFIG = `namespaceOverrides:
  - namespaceSelector: {matchLabels: {meshguard.io/profile: relaxed}}
    policies: {mtls-mode: warn}
`;

let env: E2eEnvironment;
let mount: MountedConfigMap;
let meshguard: ManagedProcess;
const measured: Record<string, number> = {};

/**
 * The harness's meshguard runs without a cluster view (outside a cluster it is off by default) and with a config
 * file it rewrites per start; this file needs both on, so it replaces that process with one on the same port and
 * certificate (so the registered webhook configuration keeps pointing at it), with MESHGUARD_CLUSTER_VIEW=on,
 * the control plane's kubeconfig, and the configuration in a ConfigMap-like folder.
 */
async function startClusterAwareMeshguard(): Promise<ManagedProcess> {
  await env.meshguard.stop();
  const dir = join(env.dir, 'meshguard');
  const processEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(processEnv)) if (key.startsWith('MESHGUARD_')) delete processEnv[key];
  delete processEnv.KUBERNETES_SERVICE_HOST;
  Object.assign(processEnv, {
    KUBECONFIG: env.cluster.kubeconfig,
    MESHGUARD_CLUSTER_VIEW: 'on',
    MESHGUARD_CLUSTER_SYNC_TIMEOUT: '20s',
  });
  const proc = new ManagedProcess(
    'meshguard (cluster view)',
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
      `--config=${mount.file}`,
    ],
    join(dir, 'meshguard-cluster-view.log'),
    { env: processEnv },
  );
  await waitFor(
    'meshguard /readyz (initial sync of the cluster view)',
    async () => ((await status()).status === 200 ? true : undefined),
    { timeoutMs: MESHGUARD_START_TIMEOUT_MS, process: proc },
  );
  return proc;
}

const status = () => get(`https://127.0.0.1:${env.meshguard.port}/readyz`, { ca: env.meshguard.caPem });
const statusJson = async () =>
  JSON.parse((await get(`https://127.0.0.1:${env.meshguard.port}/status`, { ca: env.meshguard.caPem })).body) as {
    config: { generation: number; lastError: null | { errors: string[] } };
    cluster: { synced: boolean; kinds: Array<{ kind: string; synced: boolean; objects: number }> };
  };

const apply = (ns: string, yaml: string, dryRun = false) =>
  env.kubectl(['apply', ...(dryRun ? ['--dry-run=server'] : []), '-n', ns, '-f', '-'], { stdin: yaml });

/** Polls until `check` holds on kubectl's answer, returning the time it took. */
async function until(what: string, attempt: () => Promise<KubectlResult>, check: (r: KubectlResult) => boolean) {
  const started = Date.now();
  let last: KubectlResult | undefined;
  await waitFor(
    what,
    async () => {
      last = await attempt();
      if (check(last)) return true;
      throw new Error(`last answer: exit ${last.code}: ${(last.stderr || last.stdout).trim()}`);
    },
    { timeoutMs: WAIT_BOUND_MS, intervalMs: 50, process: meshguard },
  );
  return Date.now() - started;
}

const service = (name: string) => `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec: {ports: [{port: 9080, name: http}], selector: {app: ${name}}}
`;
const destinationRule = (subsets: string[]) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
${subsets.map((s) => `    - {name: ${s}, labels: {version: ${s}}}`).join('\n')}
`;
const canary = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
    - route:
        - destination: {host: reviews, subset: v1}
          weight: 90
        - destination: {host: reviews, subset: v2}
          weight: 10
`;
const v1Only = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
    - route:
        - destination: {host: reviews, subset: v1}
`;
const permissive = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: legacy}
spec: {mtls: {mode: PERMISSIVE}}
`;
const subsetWarning = (r: KubectlResult) =>
  r.code === 0 && /^Warning: \[vs-subset-defined\] spec\.http\[0\]\.route\[1\]\.destination\.subset: /m.test(r.stderr);
const denied = (r: KubectlResult) => r.code !== 0 && r.stderr.includes(`admission webhook "${WEBHOOK_NAME}" denied`);

beforeAll(async () => {
  env = await startEnvironment();
  mount = new MountedConfigMap(BASE_CONFIG);
  meshguard = await startClusterAwareMeshguard();
  await env.waitUntilEnforced();
}, ENVIRONMENT_TIMEOUT_MS);

afterAll(async () => {
  process.stderr.write(
    `e2e cluster awareness: ${Object.entries(measured)
      .map(([k, v]) => `${k} ${v} ms`)
      .join(', ')}\n`,
  );
  await meshguard?.stop();
  await env?.stop();
  mount?.remove();
}, 60_000);

describe('cluster awareness behind a real kube-apiserver', () => {
  test('the cluster view has synced the kinds the enabled policies read', async () => {
    const s = await statusJson();
    expect(s.cluster.synced).toBe(true);
    expect(s.cluster.kinds.map((k) => k.kind)).toEqual(
      expect.arrayContaining(['DestinationRule', 'VirtualService', 'Gateway', 'Namespace', 'PeerAuthentication']),
    );
  });

  test(
    'a route to an undefined subset warns until kubectl creates the DestinationRule, and again once it is deleted',
    async () => {
      const ns = 'e2e-subsets';
      await env.createNamespace(ns);
      await env.kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: service('reviews') });
      const dryRun = () => apply(ns, canary, true);
      await until('the Service to reach the view', dryRun, (r) => subsetWarning(r) && !r.stderr.includes('no Service'));
      const first = await dryRun();
      expect(first.stderr).toContain(
        `no DestinationRule for reviews.${ns}.svc.cluster.local applies in namespace ${ns}, so subset v1 is undefined`,
      );

      await env.kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: destinationRule(['v1', 'v2']) });
      measured.created = await until(
        'the warning to go',
        dryRun,
        (r) => r.code === 0 && !r.stderr.includes('vs-subset-defined'),
      );

      await env.kubectlOk(['delete', '-n', ns, 'destinationrule', 'reviews']);
      measured.deleted = await until('the warning to come back', dryRun, subsetWarning);

      expect(measured.created).toBeLessThan(SEEN_WITHIN_MS);
      expect(measured.deleted).toBeLessThan(SEEN_WITHIN_MS);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'removing a DestinationRule subset is rejected while a VirtualService routes to it',
    async () => {
      const ns = 'e2e-subset-in-use';
      await env.createNamespace(ns);
      await env.kubectlOk(['apply', '-n', ns, '-f', '-'], {
        stdin: `${service('reviews')}---\n${destinationRule(['v1', 'v2'])}`,
      });
      const shrink = () => apply(ns, destinationRule(['v1']), true);
      // Nothing routes to v2 yet: removing it is fine.
      expect((await shrink()).code).toBe(0);
      await env.kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: canary });
      measured.vsSeen = await until('the VirtualService to reach the view', shrink, denied);
      const r = await apply(ns, destinationRule(['v1']));
      expect(r.code).toBe(1);
      expect(measured.vsSeen).toBeLessThan(SEEN_WITHIN_MS);
      expect(r.stderr).toContain(
        `admission webhook "${WEBHOOK_NAME}" denied the request: DestinationRule ${ns}/reviews was rejected by meshguard (1 violation):\n` +
          `[dr-subset-in-use] spec.subsets: removes subset v2 of reviews.${ns}.svc.cluster.local, which VirtualService ${ns}/reviews still routes to`,
      );

      // In the right order it goes through: first the route, then the subset.
      await env.kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: v1Only });
      await until('the edited VirtualService to reach the view', shrink, (x) => x.code === 0);
      const done = await apply(ns, destinationRule(['v1']));
      expect(done).toMatchObject({ code: 0, stdout: 'destinationrule.networking.istio.io/reviews configured\n' });
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'a namespace override by label follows kubectl label',
    async () => {
      const ns = 'e2e-labels';
      await env.createNamespace(ns);
      expect(denied(await apply(ns, permissive, true))).toBe(true);
      await env.kubectlOk(['label', 'namespace', ns, 'meshguard.io/profile=relaxed']);
      measured.labelled = await until(
        'the relaxed profile to apply',
        () => apply(ns, permissive, true),
        (r) => r.code === 0 && r.stderr.includes('Warning: [mtls-mode] spec.mtls.mode'),
      );
      await env.kubectlOk(['label', 'namespace', ns, 'meshguard.io/profile-']);
      await until('the label removal to apply', () => apply(ns, permissive, true), denied);
      expect(measured.labelled).toBeLessThan(SEEN_WITHIN_MS);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'a configuration change is picked up without a restart; a broken one leaves the last good one in force',
    async () => {
      const ns = 'e2e-live-config';
      await env.createNamespace(ns);
      await env.kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: service('reviews') });
      const pid = meshguard.pid;
      expect(subsetWarning(await apply(ns, canary, true))).toBe(true);

      mount.update(`${BASE_CONFIG}policies:\n  vs-subset-defined: {action: deny}\n`);
      measured.configApplied = await until('the new configuration', () => apply(ns, canary, true), denied);
      const denial = await apply(ns, canary, true);
      expect(denial.stderr).toContain('[vs-subset-defined] spec.http[0].route[0].destination.subset: ');
      expect((await statusJson()).config).toMatchObject({ generation: 2, lastError: null });

      mount.update(`${BASE_CONFIG}policies:\n  vs-subset-defined: {action: refuse}\n`);
      await waitFor(
        'the broken configuration to be reported',
        async () => ((await statusJson()).config.lastError !== null ? true : undefined),
        { timeoutMs: WAIT_BOUND_MS, process: meshguard },
      );
      const s = await statusJson();
      expect(s.config.generation).toBe(2);
      expect(s.config.lastError?.errors[0]).toMatch(
        /config\.yaml:5:\d+: policies\.vs-subset-defined\.action: must be one of "deny", "warn", "audit", "off", not "refuse"$/,
      );
      expect(denied(await apply(ns, canary, true))).toBe(true);
      const metrics = (await get(`http://127.0.0.1:${env.meshguard.metricsPort}/metrics`)).body;
      expect(metrics).toContain('meshguard_config_reloads_total{result="rejected"} 1');
      expect(metrics).toContain('meshguard_config_last_reload_successful 0');
      expect(meshguard.pid).toBe(pid);
      expect(meshguard.alive).toBe(true);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
