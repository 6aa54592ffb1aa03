import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createCertificateAuthority, issueServingCertificate } from '../tls/certificates';

export interface DevCertificatePaths {
  dir: string;
  caCert: string;
  cert: string;
  key: string;
  /** False when an earlier run's certificate was still good and was reused. */
  created: boolean;
}

const DEV_HOSTS = ['localhost', '127.0.0.1', '::1'];
const RENEW_BEFORE_MS = 7 * 24 * 60 * 60 * 1000;

function stillValid(certFile: string): boolean {
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    return Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

/**
 * For `meshguard serve` without --cert/--key: a throw-away CA and a serving certificate for localhost, kept in an
 * untracked folder so repeated runs (and a client that already trusts the CA) keep working.
 */
export async function ensureDevCertificate(dirArg: string): Promise<DevCertificatePaths> {
  const dir = resolve(dirArg);
  const paths = { dir, caCert: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
  if ([paths.caCert, paths.cert, paths.key].every(existsSync) && stillValid(paths.cert))
    return { ...paths, created: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await createCertificateAuthority('meshguard development CA', 90);
  const serving = await issueServingCertificate(ca, DEV_HOSTS, 90);
  writeFileSync(paths.caCert, ca.certPem);
  writeFileSync(paths.cert, serving.certPem);
  writeFileSync(paths.key, serving.keyPem, { mode: 0o600 });
  return { ...paths, created: true };
}
