import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { tlsOptions } from '../server/tls-options';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA bundle that client certificates must chain to (--client-ca); absent: no client certificate is asked for. */
  clientCaFile?: string;
}

/** A serving certificate, its key and the optional client CA, read and checked together. */
export interface TlsMaterial {
  certPem: Buffer;
  keyPem: Buffer;
  clientCaPem?: Buffer;
  /** SHA-256 fingerprint of the leaf certificate, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint256: string;
  subject: string;
  notAfter: Date;
  /** Hash of all the bytes read: equal digests mean nothing changed. */
  digest: string;
}

export class TlsMaterialError extends Error {}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsMaterialError(`cannot read the TLS ${what} at ${file}: ${(err as Error).message}`);
  }
}

/** Bytes of the files, hashed, without parsing: cheap enough to call on every file event and poll. */
export function readTlsBytes(files: TlsFiles): {
  certPem: Buffer;
  keyPem: Buffer;
  clientCaPem?: Buffer;
  digest: string;
} {
  const certPem = read(files.certFile, 'certificate');
  const keyPem = read(files.keyFile, 'key');
  const clientCaPem = files.clientCaFile === undefined ? undefined : read(files.clientCaFile, 'client CA');
  const hash = createHash('sha256').update(certPem).update('\0').update(keyPem);
  if (clientCaPem !== undefined) hash.update('\0').update(clientCaPem);
  return { certPem, keyPem, clientCaPem, digest: hash.digest('hex') };
}

/**
 * Parses and cross-checks what `readTlsBytes` read: the certificate and the key parse, the key belongs to the
 * certificate, the client CA (if any) parses, and OpenSSL accepts them as a server context. Throws a
 * TlsMaterialError that says which of these failed; never returns a pair that would break handshakes.
 */
export function checkTlsMaterial(
  bytes: { certPem: Buffer; keyPem: Buffer; clientCaPem?: Buffer; digest: string },
  files: TlsFiles,
): TlsMaterial {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(bytes.certPem);
  } catch (err) {
    throw new TlsMaterialError(`${files.certFile} is not a PEM certificate: ${(err as Error).message}`);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(bytes.keyPem);
  } catch (err) {
    throw new TlsMaterialError(`${files.keyFile} is not a PEM private key: ${(err as Error).message}`);
  }
  if (!cert.checkPrivateKey(key))
    throw new TlsMaterialError(`the key in ${files.keyFile} does not belong to the certificate in ${files.certFile}`);
  if (bytes.clientCaPem !== undefined) {
    try {
      new X509Certificate(bytes.clientCaPem);
    } catch (err) {
      throw new TlsMaterialError(`${files.clientCaFile} is not a PEM CA certificate: ${(err as Error).message}`);
    }
  }
  try {
    createSecureContext(tlsOptions(bytes.certPem, bytes.keyPem, bytes.clientCaPem));
  } catch (err) {
    throw new TlsMaterialError(`OpenSSL refused the certificate and key: ${(err as Error).message}`);
  }
  return {
    certPem: bytes.certPem,
    keyPem: bytes.keyPem,
    clientCaPem: bytes.clientCaPem,
    fingerprint256: cert.fingerprint256,
    subject: cert.subject.replace(/\n/g, ', '),
    notAfter: new Date(cert.validTo),
    digest: bytes.digest,
  };
}

export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  return checkTlsMaterial(readTlsBytes(files), files);
}
