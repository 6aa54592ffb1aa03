import { mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueClientCertificate,
  issueServingCertificate,
  type PemPair,
} from '../../../src/tls/certificates';

export const LOOPBACK = ['localhost', '127.0.0.1'];

export async function newCa(name = 'meshguard test CA'): Promise<CertificateAuthority> {
  return createCertificateAuthority(name, 1);
}

export async function servingPair(ca: CertificateAuthority, hosts = LOOPBACK): Promise<PemPair> {
  return issueServingCertificate(ca, hosts, 1);
}

/** A client certificate (clientAuth) signed by `ca`. */
export async function clientPair(ca: CertificateAuthority, name: string): Promise<PemPair> {
  return issueClientCertificate(ca, name, 1);
}

let generation = 0;

/**
 * Writes files the way the kubelet updates a Secret volume (its AtomicWriter): into a new `..<timestamp>` folder,
 * then a `..data_tmp` symlink renamed over `..data` in one step; the visible names are symlinks through `..data`.
 */
export function writeSecretVolume(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  generation += 1;
  const version = `..${new Date().toISOString().replace(/[:.]/g, '_')}_${generation}`;
  mkdirSync(join(dir, version));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, version, name), content);
  const old = readdirSync(dir).filter((f) => f.startsWith('..') && f !== '..data' && f !== version);
  symlinkSync(version, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(join('..data', name), join(dir, name));
    } catch {
      // already linked through ..data
    }
  }
  for (const o of old) rmSync(join(dir, o), { recursive: true, force: true });
}
