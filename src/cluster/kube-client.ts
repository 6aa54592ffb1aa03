import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, resolve } from 'node:path';
import { load } from 'js-yaml';

/**
 * Just enough of a Kubernetes client for meshguard's three calls (get and patch its webhook configuration, one
 * dry-run create): Node's https with the service account's token and CA, or a kubeconfig with a token or a client
 * certificate. @kubernetes/client-node was the alternative; since v1 it is ESM-only, which this CommonJS project
 * could load only through a dynamic import() that jest cannot follow, and it would add a large dependency tree to
 * the image for three requests.
 */
export interface KubeConnection {
  /** `https://host:port` (plain `http://` only for tests against a loopback fake). */
  server: string;
  ca?: Buffer;
  /** Read before every request: the kubelet rotates projected service-account tokens (hourly by default). */
  token?: () => string | undefined;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify?: boolean;
  /** Where the settings came from, for logs. */
  source: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The pod's own service account, as every in-cluster client finds it. */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('not running in a cluster (KUBERNETES_SERVICE_HOST is not set); give --kubeconfig');
  const tokenFile = `${dir}/token`;
  let ca: Buffer;
  try {
    ca = readFileSync(`${dir}/ca.crt`);
    readFileSync(tokenFile);
  } catch (err) {
    throw new Error(
      `no service-account token or CA under ${dir} (${(err as Error).message}); the pod needs automountServiceAccountToken: true`,
    );
  }
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca,
    token: () => readFileSync(tokenFile, 'utf8').trim(),
    source: `in-cluster service account (${dir})`,
  };
}

interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters?: Array<{ name: string; cluster: Record<string, unknown> }>;
  users?: Array<{ name: string; user: Record<string, unknown> }>;
}

/** The current context of a kubeconfig file: server, CA, and a token, token file or client certificate. */
export function kubeconfigConnection(file: string): KubeConnection {
  const doc = load(readFileSync(file, 'utf8')) as KubeconfigDoc;
  const base = dirname(resolve(file));
  const contextName = doc['current-context'];
  const context = doc.contexts?.find((c) => c.name === contextName)?.context;
  if (!context) throw new Error(`${file}: no current-context`);
  const cluster = doc.clusters?.find((c) => c.name === context.cluster)?.cluster;
  const user = doc.users?.find((u) => u.name === context.user)?.user ?? {};
  if (!cluster || typeof cluster.server !== 'string')
    throw new Error(`${file}: cluster ${context.cluster} has no server`);
  const bytes = (dataKey: string, fileKey: string): Buffer | undefined => {
    const from = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const data = from(cluster[dataKey]) ?? from(user[dataKey]);
    if (data) return Buffer.from(data, 'base64');
    const path = from(cluster[fileKey]) ?? from(user[fileKey]);
    return path ? readFileSync(resolve(base, path)) : undefined;
  };
  if (user.exec !== undefined || user['auth-provider'] !== undefined)
    throw new Error(`${file}: user ${context.user} uses an exec or auth-provider plugin, which meshguard does not run`);
  const token = typeof user.token === 'string' ? user.token : undefined;
  const tokenFile = typeof user.tokenFile === 'string' ? resolve(base, user.tokenFile) : undefined;
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: bytes('certificate-authority-data', 'certificate-authority'),
    cert: bytes('client-certificate-data', 'client-certificate'),
    key: bytes('client-key-data', 'client-key'),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    token: tokenFile ? () => readFileSync(tokenFile, 'utf8').trim() : token ? () => token : undefined,
    source: `kubeconfig ${file} (context ${contextName})`,
  };
}

export interface KubeResponse {
  status: number;
  body: unknown;
  /** `message` of a Status body (what the API server said went wrong), else the first bytes of the body. */
  message: string;
}

export class KubeClient {
  constructor(
    readonly connection: KubeConnection,
    private readonly timeoutMs = 10_000,
  ) {}

  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse> {
    const url = new URL(path, `${this.connection.server}/`);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'meshguard' };
    const token = this.connection.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(payload.length);
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolvePromise, reject) => {
      const req = send(
        url,
        {
          method,
          headers,
          ca: this.connection.ca,
          cert: this.connection.cert,
          key: this.connection.key,
          rejectUnauthorized: this.connection.insecureSkipTlsVerify !== true,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            const message =
              parsed !== null &&
              typeof parsed === 'object' &&
              typeof (parsed as { message?: unknown }).message === 'string'
                ? (parsed as { message: string }).message
                : text.slice(0, 500);
            resolvePromise({ status: res.statusCode ?? 0, body: parsed, message });
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(new Error(`no answer from ${url.origin} in ${this.timeoutMs} ms`)),
      );
      req.end(payload);
    });
  }
}
