import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueClientCertificate,
  issueServingCertificate,
  type PemPair,
} from '../../../src/tls/certificates';

/**
 * A client certificate for a Kubernetes user: the API server takes the common name as the user name and each
 * organization as a group (`system:masters` is the group that may do anything).
 */
export function issueUserCertificate(
  ca: CertificateAuthority,
  user: string,
  groups: readonly string[],
  validDays = 1,
): Promise<PemPair> {
  return issueClientCertificate(ca, user, validDays, groups);
}

/** Files of the control plane's key material, all under one folder. */
export interface ControlPlanePki {
  /** CA of the API server's serving certificate and of the client certificates it accepts. */
  caFile: string;
  caPem: string;
  servingCertFile: string;
  servingKeyFile: string;
  /** Signs and verifies service-account tokens. */
  serviceAccountKeyFile: string;
  serviceAccountPublicKeyFile: string;
  /** `meshguard-e2e-admin`, group `system:masters`: kubectl's identity. */
  adminCertFile: string;
  adminKeyFile: string;
}

export async function createControlPlanePki(dir: string): Promise<ControlPlanePki> {
  const ca = await createCertificateAuthority('meshguard e2e cluster CA', 1);
  const serving = await issueServingCertificate(
    ca,
    ['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', '10.96.0.1'],
    1,
  );
  const admin = await issueUserCertificate(ca, 'meshguard-e2e-admin', ['system:masters']);
  const sa = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const files: ControlPlanePki = {
    caFile: join(dir, 'ca.crt'),
    caPem: ca.certPem,
    servingCertFile: join(dir, 'apiserver.crt'),
    servingKeyFile: join(dir, 'apiserver.key'),
    serviceAccountKeyFile: join(dir, 'sa.key'),
    serviceAccountPublicKeyFile: join(dir, 'sa.pub'),
    adminCertFile: join(dir, 'admin.crt'),
    adminKeyFile: join(dir, 'admin.key'),
  };
  writeFileSync(files.caFile, ca.certPem);
  writeFileSync(files.servingCertFile, serving.certPem);
  writeFileSync(files.servingKeyFile, serving.keyPem, { mode: 0o600 });
  writeFileSync(files.serviceAccountKeyFile, sa.privateKey, { mode: 0o600 });
  writeFileSync(files.serviceAccountPublicKeyFile, sa.publicKey);
  writeFileSync(files.adminCertFile, admin.certPem);
  writeFileSync(files.adminKeyFile, admin.keyPem, { mode: 0o600 });
  return files;
}
