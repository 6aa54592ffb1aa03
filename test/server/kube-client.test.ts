import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inClusterConnection, kubeconfigConnection } from '../../src/cluster/kube-client';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshguard-kube-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('in-cluster connection', () => {
  it("uses the service account's CA and re-reads its token at every request (the kubelet rotates it)", () => {
    const sa = join(dir, 'sa');
    mkdirSync(sa);
    writeFileSync(join(sa, 'ca.crt'), 'CA');
    writeFileSync(join(sa, 'token'), 'first\n');
    const c = inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, sa);
    expect(c.server).toBe('https://10.96.0.1:443');
    expect(c.ca?.toString()).toBe('CA');
    expect(c.token?.()).toBe('first');
    writeFileSync(join(sa, 'token'), 'rotated\n');
    expect(c.token?.()).toBe('rotated');
    expect(inClusterConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1' }, sa).server).toBe('https://[fd00::1]:443');
  });

  it('says what is missing outside a cluster or without a mounted token', () => {
    expect(() => inClusterConnection({}, join(dir, 'nope'))).toThrow(
      /KUBERNETES_SERVICE_HOST is not set\); give --kubeconfig/,
    );
    expect(() => inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, join(dir, 'nope'))).toThrow(
      /automountServiceAccountToken: true/,
    );
  });
});

describe('kubeconfig connection', () => {
  it('reads the current context: server, CA file relative to the kubeconfig, client certificate data', () => {
    writeFileSync(join(dir, 'ca.pem'), 'CA FILE');
    const file = join(dir, 'config');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
current-context: b
contexts:
  - {name: a, context: {cluster: one, user: u1}}
  - {name: b, context: {cluster: two, user: u2}}
clusters:
  - {name: one, cluster: {server: "https://one:6443"}}
  - {name: two, cluster: {server: "https://two:6443/", certificate-authority: ca.pem}}
users:
  - {name: u1, user: {token: t1}}
  - {name: u2, user: {client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')}}}
`,
    );
    const c = kubeconfigConnection(file);
    expect(c.server).toBe('https://two:6443');
    expect(c.ca?.toString()).toBe('CA FILE');
    expect(c.cert?.toString()).toBe('CERT');
    expect(c.key?.toString()).toBe('KEY');
    expect(c.token).toBeUndefined();
  });

  it('refuses exec plugins rather than running them', () => {
    const file = join(dir, 'exec');
    writeFileSync(
      file,
      `current-context: x
contexts: [{name: x, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://c"}}]
users: [{name: u, user: {exec: {command: aws}}}]
`,
    );
    expect(() => kubeconfigConnection(file)).toThrow(/exec or auth-provider plugin/);
  });
});
