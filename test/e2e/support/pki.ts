import 'reflect-metadata';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueServingCertificate,
  type PemPair,
} from '../../../src/tls/certificates';

// The same algorithm and provider as src/tls/certificates.ts (importing it has set the provider already).
x509.cryptoProvider.set(webcrypto as never);
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/**
 * A client certificate for a Kubernetes user: the API server takes the common name as the user name and each
 * organization as a group (`system:masters` is the group that may do anything).
 */
export async function issueUserCertificate(
  ca: CertificateAuthority,
  user: string,
  groups: readonly string[],
  validDays = 1,
): Promise<PemPair> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    subject: [`CN=${user}`, ...groups.map((g) => `O=${g}`)].join(', '),
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validDays * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey as never,
    signingKey: ca.privateKey as never,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
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
