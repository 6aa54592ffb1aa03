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

export function tlsOptions(
  certPem: string | Buffer,
  keyPem: string | Buffer,
): SecureContextOptions & { minVersion: 'TLSv1.2' } {
  return { cert: certPem, key: keyPem, minVersion: 'TLSv1.2', ciphers: MODERN_TLS12_CIPHERS, honorCipherOrder: true };
}
