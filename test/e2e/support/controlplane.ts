import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubectlBinary, REPO_ROOT } from '../../support/helm';
import { type ControlPlanePki, createControlPlanePki } from './pki';
import { freePort, get, ManagedProcess, waitFor } from './processes';

const BUILD_SCRIPT = join(REPO_ROOT, 'scripts/build-controlplane.mjs');

/** Bounds of every wait (the API server starts in 5 to 20 seconds on two busy cores). */
export const ETCD_START_TIMEOUT_MS = 60_000;
export const APISERVER_START_TIMEOUT_MS = 180_000;
export const KUBECTL_TIMEOUT_MS = 60_000;

export interface ControlPlaneBinary {
  controlplane: string;
  kubernetes: string;
  etcd: string;
}

/**
 * The cached control plane binary. `npm run test:e2e` builds it before jest starts (a cold build takes longer than
 * any test timeout should); here it is only looked up and version-checked.
 */
export function controlPlaneBinary(): ControlPlaneBinary {
  try {
    const out = execFileSync(process.execPath, [BUILD_SCRIPT, '--check'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    return JSON.parse(out) as ControlPlaneBinary;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? (err as Error).message;
    throw new Error(`the end-to-end control plane is not built: ${stderr.trim()}`);
  }
}

export interface KubectlResult {
  /** kubectl's exit code. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface ControlPlane {
  dir: string;
  /** The API server, https://127.0.0.1:<port>. */
  url: string;
  /** etcd's client URL, http://127.0.0.1:<port>. */
  etcdUrl: string;
  kubeconfig: string;
  pki: ControlPlanePki;
  binary: ControlPlaneBinary;
  etcd: ManagedProcess;
  apiserver: ManagedProcess;
  /** Milliseconds from starting etcd to the API server's /readyz answering ok. */
  startMs: number;
  /** Runs kubectl against this control plane (cwd: the repository, so file names in messages are relative). */
  kubectl(args: readonly string[], options?: { stdin?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** kubectl that must succeed: returns stdout, throws with stderr otherwise. */
  kubectlOk(args: readonly string[], options?: { stdin?: string; timeoutMs?: number }): Promise<string>;
  stop(): Promise<void>;
}

function kubeconfigYaml(url: string, pki: ControlPlanePki): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: e2e',
    `    cluster: {server: "${url}", certificate-authority: "${pki.caFile}"}`,
    'users:',
    '  - name: admin',
    `    user: {client-certificate: "${pki.adminCertFile}", client-key: "${pki.adminKeyFile}"}`,
    'contexts:',
    '  - name: e2e',
    '    context: {cluster: e2e, user: admin}',
    'current-context: e2e',
    '',
  ].join('\n');
}

/**
 * etcd and kube-apiserver on 127.0.0.1 with free ports, data and keys under `dir`, both stopped by `stop()` (and
 * killed if the test process exits first). Resolves once /readyz answers ok.
 */
export async function startControlPlane(dir: string): Promise<ControlPlane> {
  const binary = controlPlaneBinary();
  const started = Date.now();
  const pkiDir = join(dir, 'pki');
  mkdirSync(pkiDir, { recursive: true });
  const pki = await createControlPlanePki(pkiDir);
  const [etcdClientPort, etcdPeerPort, apiserverPort] = [await freePort(), await freePort(), await freePort()];

  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  const etcd = new ManagedProcess(
    'etcd',
    binary.controlplane,
    [
      'etcd',
      '--name=e2e',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=e2e=${peerUrl}`,
      '--initial-cluster-state=new',
      // A throwaway store: no fsync, so a busy disk does not slow every write of the test.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    join(dir, 'etcd.log'),
  );
  let apiserver: ManagedProcess | undefined;
  const stop = async () => {
    await apiserver?.stop();
    await etcd.stop();
  };
  try {
    await waitFor(
      'etcd /health',
      async () => {
        const r = await get(`${etcdUrl}/health`);
        return r.status === 200 && r.body.includes('"health":"true"') ? true : undefined;
      },
      { timeoutMs: ETCD_START_TIMEOUT_MS, process: etcd },
    );

    const url = `https://127.0.0.1:${apiserverPort}`;
    apiserver = new ManagedProcess(
      'kube-apiserver',
      binary.controlplane,
      [
        'kube-apiserver',
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiserverPort}`,
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.servingCertFile}`,
        `--tls-private-key-file=${pki.servingKeyFile}`,
        `--client-ca-file=${pki.caFile}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.serviceAccountPublicKeyFile}`,
        `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
        '--service-cluster-ip-range=10.96.0.0/24',
        '--authorization-mode=RBAC',
        // Added to the defaults (NamespaceLifecycle, ServiceAccount, MutatingAdmissionWebhook, ... are on already).
        '--enable-admission-plugins=ValidatingAdmissionWebhook',
        // No kubelet, no controllers: do not publish 127.0.0.1 as the endpoint of the kubernetes Service.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
        '--v=1',
      ],
      join(dir, 'kube-apiserver.log'),
    );
    const client = { ca: pki.caPem, cert: readFileSync(pki.adminCertFile), key: readFileSync(pki.adminKeyFile) };
    await waitFor(
      'kube-apiserver /readyz',
      async () => {
        const r = await get(`${url}/readyz`, {
          ca: client.ca,
          cert: client.cert.toString(),
          key: client.key.toString(),
        });
        if (r.status === 200 && r.body.trim() === 'ok') return true;
        throw new Error(`/readyz ${r.status}: ${r.body.trim().split('\n').slice(-3).join(' ')}`);
      },
      { timeoutMs: APISERVER_START_TIMEOUT_MS, intervalMs: 500, process: apiserver },
    );
    const startMs = Date.now() - started;

    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(url, pki), { mode: 0o600 });
    const kubectlPath = kubectlBinary();
    const cacheDir = join(dir, 'kube-cache');
    const kubectl = (
      args: readonly string[],
      options: { stdin?: string; timeoutMs?: number } = {},
    ): Promise<KubectlResult> =>
      new Promise((resolve, reject) => {
        const child = execFile(
          kubectlPath,
          [`--kubeconfig=${kubeconfig}`, `--cache-dir=${cacheDir}`, ...args],
          {
            cwd: REPO_ROOT,
            encoding: 'utf8',
            timeout: options.timeoutMs ?? KUBECTL_TIMEOUT_MS,
            killSignal: 'SIGKILL',
            // Only what kubectl needs: no KUBECONFIG or proxy settings of the machine leak in.
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
          },
          (err, stdout, stderr) => {
            if (err && typeof err.code !== 'number') {
              reject(new Error(`kubectl ${args.join(' ')}: ${err.message}\n${stderr}`));
            } else {
              resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
            }
          },
        );
        if (options.stdin !== undefined) child.stdin?.end(options.stdin);
        else child.stdin?.end();
      });
    const kubectlOk = async (args: readonly string[], options?: { stdin?: string; timeoutMs?: number }) => {
      const r = await kubectl(args, options);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    return { dir, url, etcdUrl, kubeconfig, pki, binary, etcd, apiserver, startMs, kubectl, kubectlOk, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
