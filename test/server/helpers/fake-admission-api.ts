import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newCa, servingPair } from './certs';

export interface WebhookTarget {
  url: string;
  ca: string;
}

export interface FakeAdmissionApi {
  /** kubeconfig for meshguard: the fake's CA and a bearer token. */
  kubeconfig: string;
  /** Where the fake sends reviews; point it at a closed port to make meshguard unreachable. */
  webhook: WebhookTarget;
  /** "METHOD path?query" of every request meshguard made, in order. */
  requests: string[];
  failurePolicy(): string;
  /** What `helm upgrade` does to a configuration meshguard switched: put the chart's value back. */
  setFailurePolicy(value: 'Fail' | 'Ignore'): void;
  /** A real (not dry-run) create through the admission chain, as kubectl would make it. */
  create(namespace: string, object: Record<string, unknown>): Promise<{ status: number; message: string }>;
  /** The configuration's annotations (the chart's consent annotation is there at start). */
  annotations: Record<string, string>;
  /** Answer POSTs of peerauthentications with 403 Forbidden, as RBAC does without the Role. */
  forbidCreate: boolean;
  close(): Promise<void>;
}

const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/';

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}

/**
 * A loopback stand-in for the parts of kube-apiserver the safe-failure-policy mode touches: GET and JSON-PATCH of one
 * ValidatingWebhookConfiguration, and creates of PeerAuthentications that go through a validating webhook with the
 * configuration's failurePolicy, dry run included, as the real admission chain does (a webhook that cannot be called
 * is an error under Fail and is skipped under Ignore; a denial comes back as `admission webhook "<name>" denied the
 * request: <message>` with the webhook's status code).
 */
export async function startFakeAdmissionApi(options: {
  webhookConfiguration: string;
  webhookName: string;
  webhook: WebhookTarget;
  failurePolicy?: 'Fail' | 'Ignore';
}): Promise<FakeAdmissionApi> {
  const ca = await newCa('fake kube-apiserver CA');
  const pair = await servingPair(ca);
  const token = randomUUID();
  const requests: string[] = [];
  let resourceVersion = 1;
  const config = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: options.webhookConfiguration,
      resourceVersion: '1',
      annotations: { 'meshguard.io/fail-closed-after-probe': 'true' } as Record<string, string>,
    },
    webhooks: [
      { name: 'other.example.com', failurePolicy: 'Ignore' },
      { name: options.webhookName, failurePolicy: options.failurePolicy ?? 'Ignore', timeoutSeconds: 5 },
    ] as Array<Record<string, unknown>>,
  };
  const bump = () => {
    resourceVersion += 1;
    config.metadata.resourceVersion = String(resourceVersion);
  };
  const ours = () => config.webhooks[1] as { failurePolicy: string };

  const callWebhook = (review: unknown): Promise<{ allowed: boolean; status?: { code?: number; message?: string } }> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(review);
      const req = request(
        api.webhook.url,
        { method: 'POST', ca: api.webhook.ca, agent: false, headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => {
            try {
              resolve((JSON.parse(text) as { response: { allowed: boolean } }).response);
            } catch (err) {
              reject(err);
            }
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('context deadline exceeded')));
      req.end(body);
    });

  const admit = async (
    namespace: string,
    object: Record<string, unknown>,
    dryRun: boolean,
  ): Promise<{ code: number; body: unknown }> => {
    const meta = (object.metadata ?? {}) as Record<string, unknown>;
    const stored = {
      ...object,
      metadata: { ...meta, name: meta.name ?? `${meta.generateName ?? ''}${randomUUID().slice(0, 5)}`, namespace },
    };
    const [group, version] = String(object.apiVersion).split('/');
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: randomUUID(),
        kind: { group, version, kind: 'PeerAuthentication' },
        resource: { group, version, resource: 'peerauthentications' },
        name: stored.metadata.name,
        namespace,
        operation: 'CREATE',
        userInfo: { username: dryRun ? 'system:serviceaccount:meshguard:meshguard' : 'jane@example.com' },
        object: stored,
        oldObject: null,
        dryRun,
      },
    };
    let answer: Awaited<ReturnType<typeof callWebhook>>;
    try {
      answer = await callWebhook(review);
    } catch (err) {
      if (ours().failurePolicy === 'Ignore') return { code: 201, body: stored };
      return {
        code: 500,
        body: status(
          500,
          'InternalError',
          `Internal error occurred: failed calling webhook "${options.webhookName}": failed to call webhook: Post "${api.webhook.url}": ${(err as Error).message}`,
        ),
      };
    }
    if (answer.allowed) return { code: 201, body: stored };
    const code = answer.status?.code ?? 403;
    return {
      code,
      body: status(
        code,
        code === 403 ? 'Forbidden' : 'BadRequest',
        `admission webhook "${options.webhookName}" denied the request: ${answer.status?.message ?? ''}`,
      ),
    };
  };

  const server: Server = createServer({ cert: pair.certPem, key: pair.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://fake');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      void (async () => {
        if (url.pathname === `${VWC}${options.webhookConfiguration}`) {
          if (req.method === 'GET') return send(200, config);
          if (req.method === 'PATCH' && req.headers['content-type'] === 'application/json-patch+json') {
            const ops = JSON.parse(text) as Array<{ op: string; path: string; value?: unknown }>;
            const draft = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
            for (const op of ops) {
              const keys = op.path
                .split('/')
                .slice(1)
                .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
              const last = keys.pop() as string;
              const parent = keys.reduce<Record<string, unknown>>(
                (o, k) => (o as Record<string, Record<string, unknown>>)[k] as Record<string, unknown>,
                draft,
              );
              if (op.op === 'test' && JSON.stringify(parent?.[last]) !== JSON.stringify(op.value))
                return send(422, status(422, 'Invalid', `the test operation on ${op.path} failed`));
              if (op.op === 'replace') parent[last] = op.value;
            }
            config.webhooks = draft.webhooks as typeof config.webhooks;
            Object.assign(config.metadata.annotations, (draft.metadata as typeof config.metadata).annotations);
            bump();
            return send(200, config);
          }
          return send(405, status(405, 'MethodNotAllowed', 'method not allowed'));
        }
        const pa = url.pathname.match(/^\/apis\/security\.istio\.io\/v1\/namespaces\/([^/]+)\/peerauthentications$/);
        if (pa && req.method === 'POST') {
          if (api.forbidCreate) {
            return send(
              403,
              status(
                403,
                'Forbidden',
                `peerauthentications.security.istio.io is forbidden: User "system:serviceaccount:meshguard:meshguard" cannot create resource "peerauthentications" in API group "security.istio.io" in the namespace "${pa[1]}"`,
              ),
            );
          }
          const result = await admit(pa[1] as string, JSON.parse(text), url.searchParams.get('dryRun') === 'All');
          return send(result.code, result.body);
        }
        send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dir = mkdtempSync(join(tmpdir(), 'meshguard-fake-api-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: fake, cluster: {server: "https://127.0.0.1:${port}", certificate-authority-data: ${Buffer.from(ca.certPem).toString('base64')}}}]`,
      `users: [{name: meshguard, user: {token: "${token}"}}]`,
      'contexts: [{name: fake, context: {cluster: fake, user: meshguard}}]',
      'current-context: fake',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const api: FakeAdmissionApi = {
    kubeconfig,
    webhook: options.webhook,
    requests,
    forbidCreate: false,
    annotations: config.metadata.annotations,
    failurePolicy: () => ours().failurePolicy,
    setFailurePolicy(value) {
      ours().failurePolicy = value;
      bump();
    },
    async create(namespace, object) {
      const result = await admit(namespace, object, false);
      return {
        status: result.code,
        message: String((result.body as { message?: string }).message ?? ''),
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
}
