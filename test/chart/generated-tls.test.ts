import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { startFakeKubeApi } from '../support/fake-kube-api';
import {
  helmTemplate,
  type K8sObject,
  only,
  parseManifests,
  runHelm,
  runHelmAsync,
  TOOLS_TIMEOUT_MS,
  templateArgs,
} from '../support/helm';

// The chart's default TLS: a CA and a serving certificate generated at install, kept at upgrade by `lookup`.

const NAMESPACE = 'policy-system';

interface Tls {
  secret: Record<string, string>;
  caBundle: string;
  checksum: string | undefined;
}

function tlsOf(objects: K8sObject[]): Tls {
  const secret = only(objects, 'Secret', 'meshguard-tls').data as Record<string, string>;
  const webhook = (
    only(objects, 'ValidatingWebhookConfiguration').webhooks as Array<{ clientConfig: { caBundle: string } }>
  )[0];
  const podAnnotations = (
    only(objects, 'Deployment').spec as { template: { metadata: { annotations: Record<string, string> } } }
  ).template.metadata.annotations;
  return { secret, caBundle: webhook?.clientConfig.caBundle ?? '', checksum: podAnnotations['checksum/tls'] };
}

const pem = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');

beforeAll(() => {
  runHelm(['version']);
}, TOOLS_TIMEOUT_MS);

describe('generated at install (helm template, or install into a namespace without the Secret)', () => {
  const tls = tlsOf(helmTemplate({ namespace: NAMESPACE }));
  const ca = new X509Certificate(pem(tls.secret['ca.crt']));
  const serving = new X509Certificate(pem(tls.secret['tls.crt']));

  test('the caBundle is the CA in the Secret', () => {
    expect(tls.caBundle).toBe(tls.secret['ca.crt']);
    expect(ca.ca).toBe(true);
  });

  test('the serving certificate is signed by that CA, for the names the API server dials', () => {
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.ca).toBe(false);
    expect(serving.subjectAltName).toContain(`DNS:meshguard.${NAMESPACE}.svc`);
    expect(serving.subjectAltName).toContain(`DNS:meshguard.${NAMESPACE}.svc.cluster.local`);
  });

  test('the key in the Secret is the serving certificate key', () => {
    const fromKey = createPublicKey(createPrivateKey(pem(tls.secret['tls.key']))).export({
      type: 'spki',
      format: 'der',
    });
    expect(Buffer.compare(fromKey, serving.publicKey.export({ type: 'spki', format: 'der' }))).toBe(0);
  });

  test('a TLS client trusting only the caBundle completes a handshake with the Secret, as the Service name', async () => {
    const server = createServer({ cert: pem(tls.secret['tls.crt']), key: pem(tls.secret['tls.key']) }, (_req, res) =>
      res.end('ok'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/',
            servername: `meshguard.${NAMESPACE}.svc`,
            ca: pem(tls.caBundle),
            agent: false,
          },
          (res) => {
            let text = '';
            res.on('data', (c) => {
              text += c;
            });
            res.on('end', () => resolve(text));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(body).toBe('ok');
    } finally {
      server.close();
    }
  });

  test('valid for tls.validityDays', () => {
    const days = (Date.parse(serving.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(3640);
    expect(days).toBeLessThanOrEqual(3650);
    const short = new X509Certificate(pem(tlsOf(helmTemplate({ set: ['tls.validityDays=30'] })).secret['tls.crt']));
    expect((Date.parse(short.validTo) - Date.now()) / 86_400_000).toBeLessThanOrEqual(30);
  });

  test('the pods carry a checksum of the certificate, so a new certificate rolls them', () => {
    expect(tls.checksum).toBe(
      createHash('sha256')
        .update(tls.secret['tls.crt'] ?? '')
        .digest('hex'),
    );
  });
});

describe('kept at upgrade: lookup finds the Secret and reuses it', () => {
  test('with the Secret in the cluster, the render reuses its certificate and CA instead of generating', async () => {
    const first = helmTemplate({ namespace: NAMESPACE });
    const existing = only(first, 'Secret', 'meshguard-tls');
    const api = await startFakeKubeApi([existing]);
    try {
      const r = await runHelmAsync([...templateArgs({ namespace: NAMESPACE }), '--dry-run=server'], {
        KUBECONFIG: api.kubeconfig,
      });
      expect(r.stderr).toBe('');
      const again = tlsOf(parseManifests(r.stdout));
      expect(api.requests).toContain(`GET /api/v1/namespaces/${NAMESPACE}/secrets/meshguard-tls`);
      expect(again.secret).toEqual(existing.data);
      expect(again.caBundle).toBe((existing.data as Record<string, string>)['ca.crt']);
      expect(again.checksum).toBe(tlsOf(first).checksum); // the pods are not restarted either
    } finally {
      await api.close();
    }
  });

  test('without it (first install, or after deleting it to rotate), a new CA is generated', async () => {
    const api = await startFakeKubeApi([]);
    try {
      const r = await runHelmAsync([...templateArgs({ namespace: NAMESPACE }), '--dry-run=server'], {
        KUBECONFIG: api.kubeconfig,
      });
      const tls = tlsOf(parseManifests(r.stdout));
      expect(api.requests).toContain(`GET /api/v1/namespaces/${NAMESPACE}/secrets/meshguard-tls`);
      expect(tls.caBundle).toBe(tls.secret['ca.crt']);
      expect(new X509Certificate(pem(tls.secret['tls.crt'])).checkIssued(new X509Certificate(pem(tls.caBundle)))).toBe(
        true,
      );
    } finally {
      await api.close();
    }
  });

  test('a Secret missing a key is not trusted: the chart generates a complete new pair', async () => {
    const existing = only(helmTemplate({ namespace: NAMESPACE }), 'Secret', 'meshguard-tls');
    const { 'ca.crt': _dropped, ...partial } = existing.data as Record<string, string>;
    const api = await startFakeKubeApi([{ ...existing, data: partial }]);
    try {
      const r = await runHelmAsync([...templateArgs({ namespace: NAMESPACE }), '--dry-run=server'], {
        KUBECONFIG: api.kubeconfig,
      });
      const tls = tlsOf(parseManifests(r.stdout));
      expect(tls.secret['tls.crt']).not.toBe(partial['tls.crt']);
      expect(tls.caBundle).toBe(tls.secret['ca.crt']);
    } finally {
      await api.close();
    }
  });
});
