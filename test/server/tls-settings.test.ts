import { once } from 'node:events';
import { request } from 'node:https';
import { connect, createServer, type SecureVersion, type TLSSocket } from 'node:tls';
import { MODERN_TLS12_CIPHERS } from '../../src/server/tls-options';
import { peerAuth } from '../support/engine';
import { httpsRequest } from '../support/https-client';
import { reviewFor } from '../support/review';
import { metricValue, type Served, serve } from '../support/test-server';
import { clientPair, newCa, servingPair } from './helpers/certs';

interface Handshake {
  protocol?: string | null;
  cipher?: string;
  error?: { code?: string; message: string };
}

/** A bare TLS handshake (no HTTP) with the given client settings. */
async function handshake(
  port: number,
  ca: string,
  settings: { minVersion?: SecureVersion; maxVersion?: SecureVersion; ciphers?: string },
): Promise<Handshake> {
  const socket: TLSSocket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...settings });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      once(socket, 'secureConnect'),
      new Promise((_r, reject) => {
        timer = setTimeout(() => reject(new Error('handshake timed out')), 10_000);
      }),
    ]);
    return { protocol: socket.getProtocol(), cipher: socket.getCipher().standardName };
  } catch (err) {
    return { error: { code: (err as NodeJS.ErrnoException).code, message: (err as Error).message } };
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

// OpenSSL 3 refuses TLS 1.1 at its default security level, on either side; level 0 lets this client offer it, so a
// refusal can only come from meshguard.
const TLS11_CLIENT = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;

describe('TLS versions and ciphers', () => {
  let t: Served;
  beforeAll(async () => {
    t = await serve();
  });
  afterAll(() => t.stop());
  const port = () => Number(new URL(t.url).port);

  it('refuses a TLS 1.1 handshake with a protocol_version alert', async () => {
    const result = await handshake(port(), t.ca, TLS11_CLIENT);
    expect(result.error?.code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  it('(control: the same client settings do complete TLS 1.1 with a server that allows it)', async () => {
    const ca = await newCa();
    const pair = await servingPair(ca);
    const legacy = createServer(
      { cert: pair.certPem, key: pair.keyPem, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
      (s) => s.end(),
    );
    await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
    try {
      const result = await handshake((legacy.address() as { port: number }).port, ca.certPem, TLS11_CLIENT);
      expect(result.protocol).toBe('TLSv1.1');
    } finally {
      legacy.close();
    }
  });

  it('accepts TLS 1.2 with an ECDHE AEAD suite', async () => {
    const result = await handshake(port(), t.ca, { maxVersion: 'TLSv1.2' });
    expect(result.error).toBeUndefined();
    expect(result.protocol).toBe('TLSv1.2');
    expect(MODERN_TLS12_CIPHERS.split(':')).toContain(
      // OpenSSL names in MODERN_TLS12_CIPHERS; standardName is the IANA name: compare through the ECDHE-ECDSA form.
      {
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
      }[result.cipher as string],
    );
  });

  it('accepts TLS 1.3', async () => {
    const result = await handshake(port(), t.ca, { minVersion: 'TLSv1.3' });
    expect(result.protocol).toBe('TLSv1.3');
  });

  it('refuses TLS 1.2 with a CBC (non-AEAD) suite', async () => {
    const result = await handshake(port(), t.ca, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256' });
    expect(result.error?.message).toMatch(/handshake failure|no shared cipher/i);
  });
});

describe('client certificates (--client-ca)', () => {
  let t: Served;
  let clientCa: Awaited<ReturnType<typeof newCa>>;
  beforeAll(async () => {
    clientCa = await newCa('API server client CA');
    t = await serve({ clientCaPem: clientCa.certPem });
  });
  afterAll(() => t.stop());

  const post = (client?: { certPem: string; keyPem: string }) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      // A fresh connection per call: the verdict on a client certificate is made once per connection.
      {
        const body = JSON.stringify(reviewFor(peerAuth('STRICT')));
        const req = request(
          `${t.url}/validate`,
          {
            method: 'POST',
            agent: false,
            ca: t.ca,
            cert: client?.certPem,
            key: client?.keyPem,
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => {
              text += c.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end(body);
      }
    });

  it('refuses a caller without a certificate with a 401 JSON error, before reading the review', async () => {
    const res = await post();
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'client_certificate_required',
      message: expect.stringContaining('none was presented'),
    });
  });

  it('refuses a certificate from another CA', async () => {
    const stranger = await clientPair(await newCa('someone else'), 'kube-apiserver');
    const res = await post(stranger);
    expect(res.status).toBe(401);
    expect(String(res.body.message)).toMatch(/refused \(UNABLE_TO_VERIFY_LEAF_SIGNATURE|refused \(/);
  });

  it('lets a caller with a certificate from the client CA through', async () => {
    const apiserver = await clientPair(clientCa, 'kube-apiserver');
    const res = await post(apiserver);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'AdmissionReview', response: { allowed: true } });
  });

  it('keeps /healthz and /readyz open for the kubelet, whose probes carry no certificate', async () => {
    expect((await httpsRequest(`${t.url}/healthz`, { ca: t.ca })).status).toBe(200);
    expect((await httpsRequest(`${t.url}/readyz`, { ca: t.ca })).status).toBe(200);
  });

  it('counts the refusals', async () => {
    expect(await metricValue(t, 'meshguard_request_errors_total', { reason: 'client_certificate_required' })).toBe(2);
  });
});
