import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 speaks the Web Crypto API; Node's implementation of it is the provider.
x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

// ECDSA P-256: key generation takes milliseconds (RSA takes seconds), and every TLS stack meshguard meets accepts it.
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends PemPair {
  cert: x509.X509Certificate;
  privateKey: CryptoKey;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

export async function createCertificateAuthority(commonName: string, validDays = 365): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validDays * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys: keys as never,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  return {
    cert,
    privateKey: keys.privateKey,
    certPem: cert.toString('pem'),
    keyPem: await exportKeyPem(keys.privateKey),
  };
}

/** A leaf certificate signed by `ca`: one key pair, the common constraints, and what makes it serving or client. */
async function issueLeaf(
  ca: CertificateAuthority,
  subject: string,
  usage: x509.ExtendedKeyUsage,
  extra: x509.Extension[],
  validDays: number,
): Promise<PemPair> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validDays * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey as never,
    signingKey: ca.privateKey as never,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([usage]),
      ...extra,
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/** A serving certificate for the given DNS names and IP addresses, signed by `ca`. */
export function issueServingCertificate(
  ca: CertificateAuthority,
  hosts: readonly string[],
  validDays = 365,
): Promise<PemPair> {
  const names = new x509.SubjectAlternativeNameExtension(
    hosts.map((h) => (isIP(h) ? { type: 'ip', value: h } : { type: 'dns', value: h })),
  );
  return issueLeaf(ca, `CN=${hosts[0] ?? 'meshguard'}`, x509.ExtendedKeyUsage.serverAuth, [names], validDays);
}

/**
 * A client certificate (extended key usage clientAuth) for `commonName`, signed by `ca`: what the API server presents
 * to a webhook that requires one (--client-ca), and what the tests present. Kubernetes reads each organization
 * (`groups`) as a group of the user.
 */
export function issueClientCertificate(
  ca: CertificateAuthority,
  commonName: string,
  validDays = 365,
  groups: readonly string[] = [],
): Promise<PemPair> {
  const subject = [`CN=${commonName}`, ...groups.map((g) => `O=${g}`)].join(', ');
  return issueLeaf(ca, subject, x509.ExtendedKeyUsage.clientAuth, [], validDays);
}
