import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type K8sObject, only, parseManifests, REPO_ROOT, runHelm, TOOLS_TIMEOUT_MS } from '../support/helm';
import { validateObjects } from '../support/kubernetes-schemas';

const RENDER = join(REPO_ROOT, 'scripts/render-manifests.mjs');
const GENERATE_CERTS = join(REPO_ROOT, 'deploy/generate-certs.sh');
const MANIFESTS = ['deploy/meshguard.yaml', 'deploy/meshguard-cert-manager.yaml'];

beforeAll(() => {
  runHelm(['version']);
}, TOOLS_TIMEOUT_MS);

test('deploy/*.yaml and the chart resource list are what scripts/render-manifests.mjs makes now', () => {
  const r = spawnSync(process.execPath, [RENDER, '--check'], { encoding: 'utf8', timeout: 120_000 });
  expect({ status: r.status, output: r.stdout + r.stderr }).toEqual({
    status: 0,
    output: expect.stringContaining('up to date'),
  });
});

test('the staleness check notices an edit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshguard-render-'));
  try {
    // A copy of the pieces the script reads, with one value changed in the chart.
    for (const p of [
      'scripts',
      'charts',
      'deploy',
      'schemas',
      'node_modules/js-yaml',
      'node_modules/adm-zip',
      'package.json',
    ]) {
      execFileSync('cp', ['-r', '--parents', p, dir], { cwd: REPO_ROOT });
    }
    const values = join(dir, 'charts/meshguard/values.yaml');
    writeFileSync(values, readFileSync(values, 'utf8').replace('timeoutSeconds: 5', 'timeoutSeconds: 6'));
    const r = spawnSync(process.execPath, [join(dir, 'scripts/render-manifests.mjs'), '--check'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'stale: charts/meshguard/README.md, deploy/meshguard.yaml, deploy/meshguard-cert-manager.yaml',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.each(MANIFESTS)('%s', (file) => {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const objects = parseManifests(text);

  test('holds no key or certificate', () => {
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|LS0tLS1CRUdJT/);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const webhook = (
      only(objects, 'ValidatingWebhookConfiguration').webhooks as Array<{ clientConfig: Record<string, unknown> }>
    )[0];
    expect(webhook?.clientConfig.caBundle).toBeUndefined();
  });

  test('starts with its Namespace, and every object is valid against the Kubernetes API schemas', () => {
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'meshguard' } });
    expect(
      objects.slice(1).every(
        (o) =>
          o.kind === 'ClusterRole' ||
          o.kind === 'ClusterRoleBinding' ||
          o.kind === 'ValidatingWebhookConfiguration' ||
          o.metadata.namespace === 'meshguard' ||
          // the reachability probe's Role (webhook.failClosedAfterProbe): in the namespace it probes
          ((o.kind === 'Role' || o.kind === 'RoleBinding') && o.metadata.namespace === 'default'),
      ),
    ).toBe(true);
    expect(validateObjects(objects).filter((c) => c.result !== 'valid' && c.result !== 'no schema')).toEqual([]);
  });
});

test('deploy/meshguard.yaml mounts the Secret deploy/generate-certs.sh makes; the cert-manager one the Certificate Secret', () => {
  const volumeSecret = (objects: K8sObject[]) =>
    (
      only(objects, 'Deployment').spec as {
        template: { spec: { volumes: Array<{ name: string; secret?: { secretName: string } }> } };
      }
    ).template.spec.volumes.find((v) => v.name === 'tls')?.secret?.secretName;
  const plain = parseManifests(readFileSync(join(REPO_ROOT, 'deploy/meshguard.yaml'), 'utf8'));
  expect(volumeSecret(plain)).toBe('meshguard-tls');
  expect(readFileSync(GENERATE_CERTS, 'utf8')).toContain('secret=meshguard-tls');
  const withCertManager = parseManifests(readFileSync(join(REPO_ROOT, 'deploy/meshguard-cert-manager.yaml'), 'utf8'));
  const certificate = withCertManager.find(
    (o) => o.kind === 'Certificate' && (o.spec as { secretName: string }).secretName === volumeSecret(withCertManager),
  );
  expect(certificate?.metadata.name).toBe('meshguard-serving');
});

describe('deploy/generate-certs.sh', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshguard-certs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A kubectl stand-in that records its arguments and the documents piped into `apply -f -`. */
  function stubKubectl(existingSecret?: Record<string, string>): string {
    const stub = join(dir, 'kubectl');
    const secretCases = Object.entries(existingSecret ?? {})
      .map(([k, v]) => `    *"{.data.${k.replace('.', '\\\\.')}}"*) printf '%s' '${v}' ;;`)
      .join('\n');
    writeFileSync(
      stub,
      `#!/usr/bin/env bash
echo "$*" >> "${dir}/calls"
case "$*" in
  *"get secret"*)
    case "$*" in
${secretCases}
    *) echo 'Error from server (NotFound): secrets not found' >&2; exit 1 ;;
    esac ;;
  *"create namespace"*) echo "apiVersion: v1"; echo "kind: Namespace" ;;
  *"apply -f -"*) cat >> "${dir}/applied.yaml"; echo "---" >> "${dir}/applied.yaml" ;;
  *"get validatingwebhookconfiguration"*) exit 0 ;;
esac
`,
    );
    chmodSync(stub, 0o755);
    return stub;
  }

  function run(args: string[], kubectl: string) {
    return spawnSync('bash', [GENERATE_CERTS, ...args], {
      encoding: 'utf8',
      env: { ...process.env, KUBECTL: kubectl },
      timeout: 60_000,
    });
  }

  test('--out: a CA and a PKCS#8 serving key and certificate it signed, for the Service names', () => {
    const r = spawnSync('bash', [GENERATE_CERTS, '--out', dir, '--namespace', 'policy-system'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.crt')));
    const cert = new X509Certificate(readFileSync(join(dir, 'tls.crt')));
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toContain('DNS:meshguard.policy-system.svc');
    const key = readFileSync(join(dir, 'tls.key'), 'utf8');
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const spki = createPublicKey(createPrivateKey(key)).export({ type: 'spki', format: 'der' });
    expect(Buffer.compare(spki, cert.publicKey.export({ type: 'spki', format: 'der' }))).toBe(0);
  });

  test('first run: Namespace, Secret with the three keys, then the caBundle patched to that CA', () => {
    const r = run([], stubKubectl());
    expect(r.status).toBe(0);
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    const secret = parseManifests(readFileSync(join(dir, 'applied.yaml'), 'utf8')).find(
      (o) => o.kind === 'Secret',
    ) as K8sObject;
    const data = secret.data as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(secret.metadata).toMatchObject({ name: 'meshguard-tls', namespace: 'meshguard' });
    const patch = calls.find((c) => c.startsWith('patch validatingwebhookconfiguration meshguard'));
    expect(patch).toContain(`"path":"/webhooks/0/clientConfig/caBundle","value":"${data['ca.crt']}"`);
    const secretApplied = calls.lastIndexOf('apply -f -');
    expect(secretApplied).toBeGreaterThanOrEqual(0);
    expect(calls.findIndex((c) => c.startsWith('patch'))).toBeGreaterThan(secretApplied);
  });

  test('next run: the Secret is reused, nothing regenerated, the caBundle set to its CA', () => {
    const existing = { 'ca.crt': 'Q0EtUEVN', 'tls.crt': 'Q0VSVA==', 'tls.key': 'S0VZ' };
    const r = run(['--apply', '/dev/null'], stubKubectl(existing));
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('reusing the certificate');
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    expect(calls).not.toContain('apply -f -');
    expect(calls).toContain('apply -f /dev/null');
    expect(calls.find((c) => c.startsWith('patch'))).toContain('"value":"Q0EtUEVN"');
  });
});
