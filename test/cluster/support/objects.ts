import type { KubeObject } from '../../../src/admission/types';

/** Small builders for the objects the cluster view indexes. */
export const dr = (
  namespace: string,
  name: string,
  host: string,
  subsets: string[] = [],
  extra: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name, namespace, resourceVersion: '1', managedFields: [{ manager: 'kubectl' }] },
  spec: { host, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })), ...extra },
});

export const vs = (
  namespace: string,
  name: string,
  routes: Array<{ host: string; subset?: string }>,
  extra: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace },
  spec: {
    hosts: [routes[0]?.host ?? 'x'],
    http: [{ route: routes.map((destination) => ({ destination })) }],
    ...extra,
  },
});

export const gateway = (namespace: string, name: string, hosts: string[]): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace },
  spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }] },
});

export const namespace = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
});

export const service = (ns: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { ports: [{ port: 80 }] },
});

export const serviceEntry = (ns: string, name: string, hosts: string[], exportTo?: string[]): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name, namespace: ns },
  spec: { hosts, ...(exportTo ? { exportTo } : {}), ports: [{ number: 443, name: 'https', protocol: 'TLS' }] },
});

export const peerAuthentication = (ns: string, name: string, selector?: Record<string, string>): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name, namespace: ns, creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { ...(selector ? { selector: { matchLabels: selector } } : {}), mtls: { mode: 'STRICT' } },
});

export const authorizationPolicy = (ns: string, name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name, namespace: ns },
  spec,
});
