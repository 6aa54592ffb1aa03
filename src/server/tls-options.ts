import type { SecureContextOptions } from 'node:tls';

/**
 * TLS 1.2 at least; for 1.2 only ECDHE suites with AEAD ciphers (TLS 1.3 suites are all modern and not affected by
 * this list). The API server's Go client negotiates these by default.
 */
export const MODERN_TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/**
 * The secure context of the webhook listener: at start-up and again at every certificate reload
 * (`server.setSecureContext` replaces the whole context, so the version floor and cipher list must come along).
 * `clientCaPem`, when given, is the CA that client certificates are verified against (see `clientAuthOptions`).
 */
export function tlsOptions(
  certPem: string | Buffer,
  keyPem: string | Buffer,
  clientCaPem?: string | Buffer,
): SecureContextOptions & { minVersion: 'TLSv1.2' } {
  return {
    cert: certPem,
    key: keyPem,
    minVersion: 'TLSv1.2',
    ciphers: MODERN_TLS12_CIPHERS,
    honorCipherOrder: true,
    ...(clientCaPem === undefined ? {} : { ca: clientCaPem }),
  };
}

/**
 * Server options for client certificates. The certificate is requested but the handshake is not refused without
 * one (`rejectUnauthorized: false`): the kubelet's HTTPS probes of /healthz and /readyz present none, and a refused
 * handshake would keep every pod unready. POST /validate is refused unless the certificate verified
 * (`socket.authorized`), before its body is read; see app.ts.
 */
export function clientAuthOptions(requireClientCertificate: boolean): {
  requestCert: boolean;
  rejectUnauthorized: false;
} {
  return { requestCert: requireClientCertificate, rejectUnauthorized: false };
}
