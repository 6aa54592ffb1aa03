import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@bufbuild/cel';
import { helmTemplate, type K8sObject, only, REPO_ROOT, runHelm, TOOLS_TIMEOUT_MS } from '../support/helm';

/** Resources whose DELETE a policy guards: deny-all-default and dr-subset-in-use. */
const GUARDED_DELETES = ['authorizationpolicies', 'destinationrules'];

interface Rule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: string[];
  scope?: string;
}
interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}
interface Webhook {
  name: string;
  sideEffects: string;
  admissionReviewVersions: string[];
  matchPolicy: string;
  failurePolicy: string;
  timeoutSeconds: number;
  clientConfig: {
    caBundle?: string;
    url?: string;
    service?: { name: string; namespace: string; path: string; port: number };
  };
  namespaceSelector: { matchLabels?: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] };
  matchConditions?: Array<{ name: string; expression: string }>;
  rules: Rule[];
}
interface CrdKind {
  group: string;
  kind: string;
  plural: string;
  versions: string[];
}

const NAMESPACE = 'policy-system';
const crds = (JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/generated/crds.json'), 'utf8')) as { kinds: CrdKind[] })
  .kinds;

function webhookOf(objects: K8sObject[]): Webhook {
  const config = only(objects, 'ValidatingWebhookConfiguration');
  const webhooks = config.webhooks as Webhook[];
  expect(webhooks).toHaveLength(1);
  return webhooks[0] as Webhook;
}

function render(options: { valuesFiles?: string[]; set?: string[] } = {}): K8sObject[] {
  return helmTemplate({ namespace: NAMESPACE, ...options });
}

/** Every (group, version, resource, operation) a set of rules matches, as "group/version/resource OPERATION". */
function expand(rules: readonly Rule[]): string[] {
  return rules.flatMap((r) =>
    r.apiGroups.flatMap((g) =>
      r.apiVersions.flatMap((v) => r.resources.flatMap((res) => r.operations.map((op) => `${g}/${v}/${res} ${op}`))),
    ),
  );
}

/** Kubernetes' label selector semantics, for a namespace with these labels (it always has kubernetes.io/metadata.name). */
function selects(selector: Webhook['namespaceSelector'], labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    const value = labels[key];
    if (operator === 'In' && !(has && values.includes(value as string))) return false;
    if (operator === 'NotIn' && has && values.includes(value as string)) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function namespace(name: string, labels: Record<string, string> = {}): Record<string, string> {
  return { 'kubernetes.io/metadata.name': name, ...labels };
}

beforeAll(() => {
  runHelm(['version']);
}, TOOLS_TIMEOUT_MS);

describe('rules: generated from the vendored CRDs, so they cannot drift', () => {
  const webhook = webhookOf(render());

  test('CREATE and UPDATE of exactly every served version of every Istio resource, plus DELETE where a policy guards it', () => {
    const expected = crds.flatMap((k) =>
      k.versions.flatMap((v) => [
        `${k.group}/${v}/${k.plural} CREATE`,
        `${k.group}/${v}/${k.plural} UPDATE`,
        ...(GUARDED_DELETES.includes(k.plural) ? [`${k.group}/${v}/${k.plural} DELETE`] : []),
      ]),
    );
    const rendered = expand(webhook.rules);
    expect(new Set(rendered).size).toBe(rendered.length); // nothing listed twice
    expect([...rendered].sort()).toEqual([...expected].sort());
    expect(crds).toHaveLength(15);
    expect(new Set(crds.map((k) => k.group))).toEqual(
      new Set(['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io']),
    );
  });

  test('DELETE has its own rules, only for authorizationpolicies (deny-all baseline) and destinationrules (subsets in use)', () => {
    const deleting = webhook.rules.filter((r) => r.operations.includes('DELETE'));
    expect(deleting).toEqual(
      GUARDED_DELETES.map((plural) => {
        const k = crds.find((c) => c.plural === plural);
        return {
          apiGroups: [k?.group],
          apiVersions: k?.versions,
          resources: [plural],
          operations: ['DELETE'],
          scope: 'Namespaced',
        };
      }),
    );
  });

  test('no wildcard, no subresource, no CONNECT', () => {
    for (const r of webhook.rules) {
      expect(
        [...r.apiGroups, ...r.apiVersions, ...r.resources, ...r.operations].filter(
          (s) => s.includes('*') || s.includes('/'),
        ),
      ).toEqual([]);
      expect(r.operations.every((op) => ['CREATE', 'UPDATE', 'DELETE'].includes(op))).toBe(true);
      expect(r.scope).toBe('Namespaced');
    }
  });
});

describe('the webhook settings that keep a cluster safe', () => {
  const objects = render();
  const webhook = webhookOf(objects);

  test('sideEffects None, AdmissionReview v1 only, matchPolicy Equivalent, 5 seconds', () => {
    expect(webhook).toMatchObject({
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      matchPolicy: 'Equivalent',
      timeoutSeconds: 5,
    });
  });

  test('safe failure policy by default: installed at Ignore with the consent annotation; meshguard is told to switch it to Fail', () => {
    const config = only(objects, 'ValidatingWebhookConfiguration');
    expect(webhook.failurePolicy).toBe('Ignore');
    expect(config.metadata.annotations?.['meshguard.io/fail-closed-after-probe']).toBe('true');
    const env = containerEnv(objects);
    expect(env.MESHGUARD_FAIL_CLOSED_AFTER_PROBE).toBe(config.metadata.name);
    expect(env.MESHGUARD_PROBE_NAMESPACE).toBe('default');
  });

  test('without it, failurePolicy Fail from the start; with failurePolicy Ignore there is nothing to switch', () => {
    for (const set of [['webhook.failClosedAfterProbe=false'], ['webhook.failurePolicy=Ignore']]) {
      const objs = render({ set });
      const config = only(objs, 'ValidatingWebhookConfiguration');
      expect(webhookOf(objs).failurePolicy).toBe(set[0]?.includes('Ignore') ? 'Ignore' : 'Fail');
      expect(config.metadata.annotations?.['meshguard.io/fail-closed-after-probe']).toBeUndefined();
      expect(containerEnv(objs).MESHGUARD_FAIL_CLOSED_AFTER_PROBE).toBeUndefined();
      expect(objs.filter((o) => o.kind === 'Role' || o.metadata.name.endsWith('-webhook-configuration'))).toEqual([]);
    }
  });

  test('failurePolicy and timeoutSeconds come from values', () => {
    const changed = webhookOf(render({ set: ['webhook.failurePolicy=Ignore', 'webhook.timeoutSeconds=2'] }));
    expect([changed.failurePolicy, changed.timeoutSeconds]).toEqual(['Ignore', 2]);
  });

  test('the probe namespace must be one the webhook reviews, and meshguard needs its token to probe', () => {
    expect(() => render({ set: ['webhook.probeNamespace=kube-system'] })).toThrow(
      /webhook.probeNamespace kube-system is not reviewed/,
    );
    expect(() => render({ set: [`webhook.probeNamespace=${NAMESPACE}`] })).toThrow(/is not reviewed/);
    expect(() => render({ set: ['serviceAccount.automountToken=false'] })).toThrow(
      /webhook.failClosedAfterProbe needs serviceAccount.automountToken/,
    );
  });

  test('the API server calls the rendered Service on the port that leads to the container https port, at /validate', () => {
    const service = only(objects, 'Service');
    const deployment = only(objects, 'Deployment') as K8sObject & {
      spec: { template: { spec: { containers: Array<{ ports: Array<{ name: string; containerPort: number }> }> } } };
    };
    const {
      name,
      namespace: ns,
      path,
      port,
    } = webhook.clientConfig.service ?? { name: '', namespace: '', path: '', port: 0 };
    expect([name, ns, path]).toEqual([service.metadata.name, NAMESPACE, '/validate']);
    const servicePort = (service.spec as { ports: Array<{ port: number; targetPort: string }> }).ports.find(
      (p) => p.port === port,
    );
    expect(servicePort?.targetPort).toBe('https');
    const containerPort = deployment.spec.template.spec.containers[0]?.ports.find((p) => p.name === 'https');
    expect(containerPort?.containerPort).toBe(8443);
  });

  test('webhook.url sends the API server to that URL instead of the Service, with the same caBundle', () => {
    const url = 'https://meshguard.example.com:8443/validate';
    const caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64');
    const pointed = webhookOf(
      render({ set: [`webhook.url=${url}`, 'tls.existingSecret=meshguard-tls', `tls.caBundle=${caBundle}`] }),
    );
    expect(pointed.clientConfig).toEqual({ url, caBundle });
    expect(webhook.clientConfig.url).toBeUndefined();
  });

  describe('namespaceSelector', () => {
    test.each([
      ['kube-system', {}, false],
      [NAMESPACE, {}, false],
      ['team-a', {}, true],
      ['team-a', { 'meshguard.io/ignore': 'true' }, false],
      ['team-a', { 'meshguard.io/ignore': 'false' }, true],
      ['istio-system', {}, true],
    ])('namespace %s labelled %j is reviewed: %s', (name, labels, reviewed) => {
      expect(selects(webhook.namespaceSelector, namespace(name, labels))).toBe(reviewed);
    });

    test('extra exclusions, another opt-out label and extra expressions add to the fixed exclusions', () => {
      const custom = webhookOf(render({ valuesFiles: ['ci/customized-values.yaml'] }));
      const prod = { environment: 'production' };
      expect(selects(custom.namespaceSelector, namespace('kube-system', prod))).toBe(false);
      expect(selects(custom.namespaceSelector, namespace(NAMESPACE, prod))).toBe(false);
      expect(selects(custom.namespaceSelector, namespace('istio-system', prod))).toBe(false);
      expect(selects(custom.namespaceSelector, namespace('team-a', { ...prod, 'example.com/no-policy': 'true' }))).toBe(
        false,
      );
      expect(selects(custom.namespaceSelector, namespace('team-a', { environment: 'dev' }))).toBe(false);
      expect(selects(custom.namespaceSelector, namespace('team-a', prod))).toBe(true);
    });
  });

  describe('matchConditions', () => {
    const condition = webhook.matchConditions?.find((c) => c.name === 'not-a-controller-delete');
    const sent = (operation: string, username: string) =>
      run(condition?.expression ?? 'false', { request: { operation, userInfo: { username } } }) as boolean;

    test('by default the namespace controller and the garbage collector delete without a review; people do not', () => {
      expect(sent('DELETE', 'system:serviceaccount:kube-system:namespace-controller')).toBe(false);
      expect(sent('DELETE', 'system:serviceaccount:kube-system:generic-garbage-collector')).toBe(false);
      expect(sent('DELETE', 'jane@example.com')).toBe(true);
      expect(sent('CREATE', 'system:serviceaccount:kube-system:namespace-controller')).toBe(true);
      expect(sent('UPDATE', 'jane@example.com')).toBe(true);
    });

    test('they can be replaced by your own, or left out', () => {
      const custom = webhookOf(render({ valuesFiles: ['ci/customized-values.yaml'] }));
      expect(custom.matchConditions?.map((c) => c.name)).toEqual(['not-a-dry-run-tool']);
      expect(webhookOf(render({ set: ['webhook.allowControllerDeletes=false'] })).matchConditions).toBeUndefined();
    });
  });
});

describe('TLS wiring per mode', () => {
  test('cert-manager: cainjector annotation names the serving Certificate, whose Secret the pods mount; no caBundle', () => {
    const objects = render({ valuesFiles: ['ci/cert-manager-values.yaml'] });
    const config = only(objects, 'ValidatingWebhookConfiguration');
    const serving = objects.find((o) => o.kind === 'Certificate' && !(o.spec as { isCA?: boolean }).isCA) as K8sObject;
    expect(config.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(
      `${NAMESPACE}/${serving.metadata.name}`,
    );
    expect(webhookOf(objects).clientConfig.caBundle).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const spec = serving.spec as { secretName: string; dnsNames: string[]; issuerRef: { name: string } };
    expect(spec.dnsNames).toContain(`meshguard.${NAMESPACE}.svc`);
    expect(tlsVolumeSecret(objects)).toBe(spec.secretName);
    // The serving certificate comes from the chart's CA Issuer, itself backed by the CA Certificate's Secret.
    const caIssuer = only(objects, 'Issuer', spec.issuerRef.name);
    const ca = objects.find((o) => o.kind === 'Certificate' && (o.spec as { isCA?: boolean }).isCA) as K8sObject;
    expect((caIssuer.spec as { ca: { secretName: string } }).ca.secretName).toBe(
      (ca.spec as { secretName: string }).secretName,
    );
  });

  test('cert-manager with your issuer: only the serving Certificate, from that issuer', () => {
    const objects = render({ valuesFiles: ['ci/cert-manager-issuer-values.yaml'] });
    expect(objects.filter((o) => o.apiVersion.startsWith('cert-manager.io/')).map((o) => o.kind)).toEqual([
      'Certificate',
    ]);
    expect((only(objects, 'Certificate').spec as { issuerRef: unknown }).issuerRef).toEqual({
      name: 'platform-ca',
      kind: 'ClusterIssuer',
      group: 'cert-manager.io',
    });
  });

  test('existing Secret: mounted as is, caBundle from values, nothing generated', () => {
    const objects = render({ valuesFiles: ['ci/existing-secret-values.yaml'] });
    expect(tlsVolumeSecret(objects)).toBe('webhook-serving-cert');
    expect(webhookOf(objects).clientConfig.caBundle).toBe('LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==');
    expect(objects.filter((o) => o.kind === 'Secret' || o.kind === 'Certificate')).toEqual([]);
  });
});

describe('RBAC: read-only, on namespaces and the Istio resources', () => {
  const objects = render();
  const rules = (
    only(objects, 'ClusterRole', 'meshguard') as K8sObject & {
      rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    }
  ).rules;

  test('only get, list and watch', () => {
    expect(new Set(rules.flatMap((r) => r.verbs))).toEqual(new Set(['get', 'list', 'watch']));
    expect(rules.every((r) => r.verbs.length === 3)).toBe(true);
  });

  test('exactly namespaces, services and every vendored Istio resource', () => {
    const granted = rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`))).sort();
    expect(granted).toEqual(['/namespaces', '/services', ...crds.map((k) => `${k.group}/${k.plural}`)].sort());
  });

  test('bound to the ServiceAccount the pods run as', () => {
    const binding = only(objects, 'ClusterRoleBinding', 'meshguard') as K8sObject & {
      subjects: unknown[];
      roleRef: { name: string };
    };
    const podSpec = (only(objects, 'Deployment').spec as { template: { spec: { serviceAccountName: string } } })
      .template.spec;
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: podSpec.serviceAccountName, namespace: NAMESPACE },
    ]);
    expect(binding.roleRef.name).toBe(only(objects, 'ClusterRole', 'meshguard').metadata.name);
    expect(only(objects, 'ServiceAccount').metadata.name).toBe(podSpec.serviceAccountName);
  });
});

describe('RBAC of the safe failure policy: its own webhook configuration by name, dry-run creates in one namespace', () => {
  const objects = render();
  const serviceAccount = only(objects, 'ServiceAccount').metadata.name;
  type Role = K8sObject & { rules: Array<Record<string, string[]>> };
  type Binding = K8sObject & { roleRef: { kind: string; name: string }; subjects: unknown[] };

  test("get and patch on exactly the release's ValidatingWebhookConfiguration", () => {
    const role = only(objects, 'ClusterRole', 'meshguard-webhook-configuration') as Role;
    expect(role.rules).toEqual([
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations'],
        resourceNames: [only(objects, 'ValidatingWebhookConfiguration').metadata.name],
        verbs: ['get', 'patch'],
      },
    ]);
    const binding = only(objects, 'ClusterRoleBinding', 'meshguard-webhook-configuration') as Binding;
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: role.metadata.name,
    });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: serviceAccount, namespace: NAMESPACE }]);
  });

  test('create of PeerAuthentications in the probe namespace only (a Role there), for the dry run', () => {
    const role = only(objects, 'Role') as Role;
    expect(role.metadata.namespace).toBe('default');
    expect(role.rules).toEqual([
      { apiGroups: ['security.istio.io'], resources: ['peerauthentications'], verbs: ['create'] },
    ]);
    const binding = only(objects, 'RoleBinding') as Binding;
    expect(binding.metadata.namespace).toBe('default');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: serviceAccount, namespace: NAMESPACE }]);
    expect(only(render({ set: ['webhook.probeNamespace=probes'] }), 'Role').metadata.namespace).toBe('probes');
  });

  test('rbac.create=false creates none of it', () => {
    const none = render({ set: ['rbac.create=false'] });
    expect(none.filter((o) => ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))).toEqual(
      [],
    );
  });
});

function containerEnv(objects: K8sObject[]): Record<string, string | undefined> {
  const spec = (
    only(objects, 'Deployment').spec as {
      template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } };
    }
  ).template.spec;
  return Object.fromEntries((spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
}

function tlsVolumeSecret(objects: K8sObject[]): string | undefined {
  const spec = (
    only(objects, 'Deployment').spec as {
      template: { spec: { volumes: Array<{ name: string; secret?: { secretName: string } }> } };
    }
  ).template.spec;
  return spec.volumes.find((v) => v.name === 'tls')?.secret?.secretName;
}
