/**
 * Server-side TLS (ServerTLSSettings) of Gateway servers and Sidecar ingress listeners: one certificate source,
 * what each mode needs (SIMPLE a certificate and key, MUTUAL also a client CA), nothing for ISTIO_MUTUAL, and
 * warnings for settings Envoy would silently ignore (cipher suites, certificates in passthrough modes).
 */
import { asArray, asRecord, asRecords, asString } from '../../src/policy-helpers/object-access';
import { goList } from './go-format';
import type { Report } from './report';

/** BoringSSL cipher suite names accepted in `cipherSuites` (security.ValidCipherSuites). */
const CIPHER_SUITES = new Set([
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA',
  'AES256-SHA',
  'DES-CBC3-SHA',
]);

/** `ALL`, expressions starting with an operator (`-`, `+`, `!`, `[`) and known names. */
function isValidCipherSuite(cs: string): boolean {
  if (cs === '' || cs === 'ALL') return true;
  if (!/^[\p{L}\p{N}]/u.test(cs)) return true;
  return CIPHER_SUITES.has(cs);
}

/** The TLS mode; unset means PASSTHROUGH (the enum's zero value). */
export const serverTLSMode = (tls: Record<string, unknown>): string => asString(tls.mode) ?? 'PASSTHROUGH';

export function validateServerTLS(tls: unknown, path: string, report: Report): void {
  const t = asRecord(tls);
  if (t === undefined) return;
  const str = (k: string): string => asString(t[k]) ?? '';
  const mode = serverTLSMode(t);
  const ciphers = asArray(t.cipherSuites).map((c) => asString(c) ?? '');
  const tlsCertificates = asRecords(t.tlsCertificates);
  const credentialNames = asArray(t.credentialNames);

  const minVersion = str('minProtocolVersion');
  if ((minVersion === 'TLSV1_0' || minVersion === 'TLSV1_1') && ciphers.length === 0) {
    report.warn(
      `${path}.minProtocolVersion`,
      'TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers.',
    );
  }
  const invalid = new Set<string>();
  const valid = new Set<string>();
  const duplicate = new Set<string>();
  for (const cs of ciphers) {
    if (!isValidCipherSuite(cs)) invalid.add(cs);
    else if (valid.has(cs)) duplicate.add(cs);
    else valid.add(cs);
  }
  if (invalid.size > 0)
    report.warn(`${path}.cipherSuites`, `ignoring invalid cipher suites: ${goList([...invalid].sort())}`);
  if (duplicate.size > 0)
    report.warn(`${path}.cipherSuites`, `ignoring duplicate cipher suites: ${goList([...duplicate].sort())}`);

  if (mode === 'ISTIO_MUTUAL') {
    // Istio supplies the certificates; anything configured here would be ignored.
    if (str('serverCertificate') !== '')
      report.error(`${path}.serverCertificate`, 'ISTIO_MUTUAL TLS cannot have associated server certificate');
    if (str('privateKey') !== '')
      report.error(`${path}.privateKey`, 'ISTIO_MUTUAL TLS cannot have associated private key');
    if (str('caCertificates') !== '')
      report.error(`${path}.caCertificates`, 'ISTIO_MUTUAL TLS cannot have associated CA bundle');
    if (tlsCertificates.length > 0)
      report.error(`${path}.tlsCertificates`, 'ISTIO_MUTUAL TLS cannot have associated tlsCertificates');
    if (str('credentialName') !== '')
      report.error(`${path}.credentialName`, 'ISTIO_MUTUAL TLS cannot have associated credentialName');
    if (credentialNames.length > 0)
      report.error(`${path}.credentialNames`, 'ISTIO_MUTUAL TLS cannot have associated credentialNames');
    return;
  }
  if (mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') {
    const anyCertificate =
      ['caCrl', 'serverCertificate', 'privateKey', 'caCertificates', 'credentialName'].some((k) => str(k) !== '') ||
      tlsCertificates.length > 0 ||
      credentialNames.length > 0;
    if (anyCertificate) report.warn(path, `${mode} mode does not use certificates, they will be ignored`);
  }

  const sources =
    (str('serverCertificate') !== '' && str('privateKey') !== '' ? 1 : 0) +
    (str('credentialName') !== '' ? 1 : 0) +
    (credentialNames.length > 0 ? 1 : 0) +
    (tlsCertificates.length > 0 ? 1 : 0);
  if (sources > 1) {
    report.error(
      path,
      'only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified',
    );
  }
  const terminating = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  // With a credential (a Kubernetes Secret), the certificates and CA come from it.
  if (terminating && (str('credentialName') !== '' || credentialNames.length > 0)) return;
  if (terminating) {
    const prefix = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
    if (mode !== 'SIMPLE' && str('caCertificates') === '')
      report.error(`${path}.caCertificates`, `${prefix} requires a client CA bundle`);
    if (tlsCertificates.length > 2)
      report.warn(`${path}.tlsCertificates`, `${prefix} can support up to 2 server certificates`);
    const certificates =
      tlsCertificates.length > 0
        ? tlsCertificates.map((c, i) => ({ cert: c, at: `${path}.tlsCertificates[${i}]` }))
        : [{ cert: t, at: path }];
    for (const { cert, at } of certificates) {
      if ((asString(cert.serverCertificate) ?? '') === '')
        report.error(`${at}.serverCertificate`, `${prefix} requires a server certificate`);
      if ((asString(cert.privateKey) ?? '') === '')
        report.error(`${at}.privateKey`, `${prefix} requires a private key`);
    }
  }
  if (str('caCrl') !== '') {
    if (str('credentialName') !== '') {
      report.error(
        `${path}.caCrl`,
        'CRL is not supported with credentialName. CRL has to be specified in the credential',
      );
    }
    if (mode === 'SIMPLE') report.error(`${path}.caCrl`, 'CRL is not supported with SIMPLE TLS');
  }
}
