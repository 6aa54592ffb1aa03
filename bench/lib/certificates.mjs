// A throwaway CA and serving certificate for 127.0.0.1, written to a temp dir that cleanup() removes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireDist } from './dist.mjs';

/** @returns {Promise<{ dir: string, certFile: string, keyFile: string, caPem: string, cleanup(): void }>} */
export async function temporaryCertificates() {
  const { createCertificateAuthority, issueServingCertificate } = requireDist('tls/certificates');
  const dir = mkdtempSync(join(tmpdir(), 'meshguard-bench-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanup);
  const ca = await createCertificateAuthority('meshguard bench CA', 1);
  const serving = await issueServingCertificate(ca, ['localhost', '127.0.0.1'], 1);
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, serving.certPem);
  writeFileSync(keyFile, serving.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  return { dir, certFile, keyFile, caPem: ca.certPem, cleanup };
}
