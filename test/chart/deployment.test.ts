import { helmTemplate, type K8sObject, only, runHelm, TOOLS_TIMEOUT_MS } from '../support/helm';

interface Container {
  name: string;
  image: string;
  args: string[];
  env: Array<{ name: string; value?: string }>;
  ports: Array<{ name: string; containerPort: number }>;
  livenessProbe: { httpGet: { path: string; port: string; scheme: string } };
  readinessProbe: { httpGet: { path: string; port: string; scheme: string } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: Record<string, unknown>;
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  automountServiceAccountToken: boolean;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: Array<{
    name: string;
    secret?: { secretName: string; items: Array<{ key: string; path: string }> };
    configMap?: { name: string };
  }>;
  affinity?: { podAntiAffinity?: Record<string, unknown> };
}
interface DeploymentSpec {
  replicas: number;
  strategy: { rollingUpdate: { maxUnavailable: number; maxSurge: number } };
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: PodSpec };
}

function deploymentOf(objects: K8sObject[]): DeploymentSpec {
  return only(objects, 'Deployment').spec as DeploymentSpec;
}
function containerOf(objects: K8sObject[]): Container {
  const containers = deploymentOf(objects).template.spec.containers;
  expect(containers).toHaveLength(1);
  return containers[0] as Container;
}
const envOf = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e.value]));

beforeAll(() => {
  runHelm(['version']);
}, TOOLS_TIMEOUT_MS);

describe('defaults', () => {
  const objects = helmTemplate();
  const deployment = deploymentOf(objects);
  const container = containerOf(objects);

  test('hardened pod: non-root, read-only root filesystem, no capabilities, no privilege escalation, seccomp RuntimeDefault', () => {
    expect(deployment.template.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(deployment.template.spec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('the image runs meshguard serve with its certificate from the mounted Secret', () => {
    expect(container.args).toEqual(['serve']);
    const env = envOf(container);
    expect(env).toMatchObject({
      MESHGUARD_TLS_CERT: '/etc/meshguard/tls/tls.crt',
      MESHGUARD_TLS_KEY: '/etc/meshguard/tls/tls.key',
      MESHGUARD_CONFIG: '/etc/meshguard/config/config.yaml',
      MESHGUARD_PORT: '8443',
      MESHGUARD_METRICS_PORT: '9090',
      MESHGUARD_LOG_LEVEL: 'info',
    });
    expect(env.MESHGUARD_BODY_LIMIT).toBeUndefined();
    const mounts = Object.fromEntries(container.volumeMounts.map((m) => [m.name, m]));
    expect(mounts.tls).toEqual({ name: 'tls', mountPath: '/etc/meshguard/tls', readOnly: true });
    expect(mounts.config).toEqual({ name: 'config', mountPath: '/etc/meshguard/config', readOnly: true });
    const tls = deployment.template.spec.volumes.find((v) => v.name === 'tls');
    expect(tls?.secret?.items).toEqual([
      { key: 'tls.crt', path: 'tls.crt' },
      { key: 'tls.key', path: 'tls.key' },
    ]);
    const config = deployment.template.spec.volumes.find((v) => v.name === 'config');
    const configMap = only(objects, 'ConfigMap');
    expect(config?.configMap?.name).toBe(configMap.metadata.name);
    expect(Object.keys(configMap.data as object)).toEqual(['config.yaml']);
  });

  test('probes: liveness on /healthz, readiness on /readyz, over HTTPS on the webhook port', () => {
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'https', scheme: 'HTTPS' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
  });

  test('memory request and limit, no CPU limit', () => {
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '160Mi' }, limits: { memory: '384Mi' } });
  });

  test('two replicas, spread over nodes, rolled without losing capacity, guarded by a PodDisruptionBudget', () => {
    expect(deployment.replicas).toBe(2);
    expect(deployment.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    expect(Object.keys(deployment.template.spec.affinity?.podAntiAffinity ?? {})).toEqual([
      'preferredDuringSchedulingIgnoredDuringExecution',
    ]);
    const pdb = only(objects, 'PodDisruptionBudget').spec as {
      maxUnavailable: number;
      selector: { matchLabels: Record<string, string> };
    };
    expect(pdb.maxUnavailable).toBe(1);
    expect(pdb.selector.matchLabels).toEqual(deployment.selector.matchLabels);
    expect(deployment.template.metadata.labels).toMatchObject(deployment.selector.matchLabels);
  });

  test('the service-account token is mounted by default (for the cluster view), and can be turned off', () => {
    expect(deployment.template.spec.automountServiceAccountToken).toBe(true);
    expect(only(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    const off = deploymentOf(
      helmTemplate({ set: ['serviceAccount.automountToken=false', 'webhook.failClosedAfterProbe=false'] }),
    );
    expect(off.template.spec.automountServiceAccountToken).toBe(false);
  });

  test('shutdown: a preStop pause, then meshguard drains within what the grace period leaves (minus a margin)', () => {
    const c = container as Container & { lifecycle?: { preStop?: { exec?: { command: string[] } } } };
    expect(c.lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
    const spec = deployment.template.spec as PodSpec & { terminationGracePeriodSeconds: number };
    expect(spec.terminationGracePeriodSeconds).toBe(30);
    expect(envOf(container).MESHGUARD_SHUTDOWN_TIMEOUT_MS).toBe('20000');
    // pause + drain + margin fit inside the grace period
    expect(5 + 20 + 5).toBeLessThanOrEqual(spec.terminationGracePeriodSeconds);
    const longer = containerOf(helmTemplate({ set: ['terminationGracePeriodSeconds=60', 'preStopSleepSeconds=10'] }));
    expect(envOf(longer).MESHGUARD_SHUTDOWN_TIMEOUT_MS).toBe('45000');
    expect(() => helmTemplate({ set: ['terminationGracePeriodSeconds=10'] })).toThrow(
      /terminationGracePeriodSeconds \(10\) must exceed preStopSleepSeconds \(5\) by more than 5 seconds/,
    );
  });

  test('evaluation deadline: 60% of the webhook timeout unless given, always below it; deny when it passes', () => {
    expect(envOf(container)).toMatchObject({ MESHGUARD_EVALUATION_DEADLINE_MS: '3000', MESHGUARD_ON_DEADLINE: 'deny' });
    const custom = containerOf(
      helmTemplate({
        set: ['webhook.timeoutSeconds=10', 'server.evaluationDeadlineMs=8000', 'server.onDeadline=allow'],
      }),
    );
    expect(envOf(custom)).toMatchObject({ MESHGUARD_EVALUATION_DEADLINE_MS: '8000', MESHGUARD_ON_DEADLINE: 'allow' });
    expect(
      envOf(containerOf(helmTemplate({ set: ['webhook.timeoutSeconds=2'] }))).MESHGUARD_EVALUATION_DEADLINE_MS,
    ).toBe('1200');
    expect(() => helmTemplate({ set: ['server.evaluationDeadlineMs=5000'] })).toThrow(
      /server.evaluationDeadlineMs \(5000\) must be below webhook.timeoutSeconds \(5 s\)/,
    );
  });

  test('client certificates: off by default; clientAuth.caConfigMap mounts the CA and points --client-ca at it', () => {
    expect(envOf(container).MESHGUARD_CLIENT_CA).toBeUndefined();
    const objs = helmTemplate({ set: ['clientAuth.caConfigMap=apiserver-client-ca'] });
    const c = containerOf(objs);
    expect(envOf(c).MESHGUARD_CLIENT_CA).toBe('/etc/meshguard/client-ca/ca.crt');
    expect(c.volumeMounts).toContainEqual({ name: 'client-ca', mountPath: '/etc/meshguard/client-ca', readOnly: true });
    expect(deploymentOf(objs).template.spec.volumes).toContainEqual({
      name: 'client-ca',
      configMap: { name: 'apiserver-client-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
  });

  test('a configuration change changes the pod template (and so rolls the pods)', () => {
    const changed = deploymentOf(helmTemplate({ set: ['config.enforcement=warn-only'] }));
    expect(changed.template.metadata.annotations['checksum/config']).not.toBe(
      deployment.template.metadata.annotations['checksum/config'],
    );
    const configYaml = (
      only(helmTemplate({ set: ['config.enforcement=warn-only'] }), 'ConfigMap').data as Record<string, string>
    )['config.yaml'];
    expect(configYaml).toBe('apiVersion: meshguard.io/v1alpha1\nenforcement: warn-only\nkind: MeshguardConfig\n');
  });
});

describe('customized values', () => {
  const objects = helmTemplate({ valuesFiles: ['ci/customized-values.yaml'] });
  const deployment = deploymentOf(objects);
  const container = containerOf(objects);

  test('metrics off: --no-metrics, no metrics port anywhere', () => {
    expect(container.args).toEqual(['serve', '--no-metrics']);
    expect(container.ports.map((p) => p.name)).toEqual(['https']);
    expect(envOf(container).MESHGUARD_METRICS_PORT).toBeUndefined();
    expect((only(objects, 'Service').spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name)).toEqual([
      'https',
    ]);
  });

  test('image by digest, body limit, hard anti-affinity, a named ServiceAccount, no RBAC', () => {
    expect(container.image).toBe(
      'registry.example.com/platform/meshguard@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
    expect(envOf(container).MESHGUARD_BODY_LIMIT).toBe('8388608');
    expect(envOf(container).NODE_OPTIONS).toBe('--max-old-space-size=256');
    expect(Object.keys(deployment.template.spec.affinity?.podAntiAffinity ?? {})).toEqual([
      'requiredDuringSchedulingIgnoredDuringExecution',
    ]);
    expect(objects.filter((o) => ['ClusterRole', 'ClusterRoleBinding'].includes(o.kind))).toEqual([]);
    expect((deployment.template.spec as unknown as { serviceAccountName: string }).serviceAccountName).toBe(
      'meshguard-reader',
    );
    expect(only(objects, 'ServiceAccount').metadata.name).toBe('meshguard-reader');
  });

  test('the configuration document carries the given keys', () => {
    expect((only(objects, 'ConfigMap').data as Record<string, string>)['config.yaml']).toBe(
      'apiVersion: meshguard.io/v1alpha1\nenforcement: warn-only\nkind: MeshguardConfig\nmeshRootNamespace: istio-system\n',
    );
  });
});

describe('optional objects', () => {
  test('NetworkPolicy: ingress to the webhook port, and to metrics only from the given peers', () => {
    const policy = only(helmTemplate({ valuesFiles: ['ci/network-policy-values.yaml'] }), 'NetworkPolicy').spec as {
      policyTypes: string[];
      ingress: Array<{ ports: Array<{ port: string }>; from?: unknown[] }>;
    };
    expect(policy.policyTypes).toEqual(['Ingress']);
    expect(policy.ingress.map((r) => r.ports.map((p) => p.port))).toEqual([['https'], ['metrics']]);
    expect(policy.ingress[1]?.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
    const noMetricsPeers = only(helmTemplate({ set: ['networkPolicy.enabled=true'] }), 'NetworkPolicy')
      .spec as typeof policy;
    expect(noMetricsPeers.ingress).toEqual([{ ports: [{ port: 'https', protocol: 'TCP' }] }]);
    expect(helmTemplate().filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  test('ServiceMonitor: scrapes the metrics port of the Service; refuses to render with metrics off', () => {
    const objects = helmTemplate({ valuesFiles: ['ci/service-monitor-values.yaml'] });
    const monitor = only(objects, 'ServiceMonitor');
    expect(monitor.metadata.labels?.release).toBe('prometheus');
    const spec = monitor.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: Array<{ port: string; path: string }>;
    };
    expect(spec.endpoints).toMatchObject([{ port: 'metrics', path: '/metrics' }]);
    const service = only(objects, 'Service');
    expect(service.metadata.labels).toMatchObject(spec.selector.matchLabels);
    expect(helmTemplate().filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
    expect(() => helmTemplate({ set: ['serviceMonitor.enabled=true', 'metrics.enabled=false'] })).toThrow(
      /serviceMonitor.enabled needs metrics.enabled/,
    );
  });
});
