import { join } from 'node:path';
import { packageRoot } from '../../src/package-root';
import { formatFieldError } from '../../src/schema/field-error';
import { IstioSchemas } from '../../src/schema/istio-schemas';
import { KindRegistry } from '../../src/schema/kind-registry';
import { loadIstioCases } from '../support/istio-cases';

const schemas = IstioSchemas.load();
const cases = loadIstioCases();

const messages = (object: Record<string, unknown>, mode: 'webhook' | 'offline' = 'webhook'): string[] => {
  const outcome = schemas.validate(object, mode);
  if (!outcome.served) throw new Error(`not served: ${outcome.reason}`);
  return outcome.errors.map(formatFieldError);
};

describe('Istio CRD schema layer against istiod-derived cases', () => {
  const rejected = cases.filter((c) => c.crdVerdict === 'reject');
  const accepted = cases.filter((c) => c.crdVerdict === 'accept');

  it('has cases of both verdicts to check', () => {
    expect(rejected.length).toBeGreaterThan(50);
    expect(accepted.length).toBeGreaterThan(200);
  });

  it.each(rejected.map((c) => [c.id, c.rule, c]))('%s rejected by the CRD: %s', (_id, _rule, c) => {
    const offline = messages(c.object, 'offline');
    expect(offline).not.toEqual([]);
    // A few cases come from a newer Istio whose CRDs added fields (e.g. jwtRules[].presence). With the vendored
    // CRDs the API server prunes such a field silently; offline it is an unknown field. Anything else must fail
    // in webhook mode too.
    if (!offline.every((m) => m.startsWith('unknown field'))) expect(messages(c.object)).not.toEqual([]);
  });

  // The API server rejects ra-008 although the cases file says it accepts it: Kubernetes' url() uses Go's
  // url.ParseRequestURI, which refuses the non-numeric port in "https://foo.com:not-a-number" (checked against
  // k8s.io/apiextensions-apiserver itself).
  const DATASET_ERRATA: Record<string, RegExp> = { 'ra-008': /invalid port ":not-a-number" after host/ };

  it.each(accepted.map((c) => [c.id, c.rule, c]))('%s accepted by the CRD: %s', (id, _rule, c) => {
    const erratum = DATASET_ERRATA[id];
    if (erratum) expect(messages(c.object)).toEqual([expect.stringMatching(erratum)]);
    else expect(messages(c.object)).toEqual([]);
  });
});

describe('every kind in every served version', () => {
  // A valid object per kind: the first case the CRD accepts, which every served version must accept too.
  const byKind = new Map<string, Record<string, unknown>>();
  for (const c of cases) if (c.crdVerdict === 'accept' && !byKind.has(c.kind)) byKind.set(c.kind, c.object);
  const table = schemas.registry.kinds.flatMap((k) => k.versions.map((v) => [k.kind, `${k.group}/${v}`] as const));

  it('covers all 15 kinds', () => {
    expect(schemas.registry.kinds).toHaveLength(15);
    expect([...byKind.keys()].sort()).toEqual(schemas.registry.kinds.map((k) => k.kind).sort());
  });

  it.each(table)('%s %s: a valid object passes', (kind, apiVersion) => {
    const object = { ...(byKind.get(kind) as Record<string, unknown>), apiVersion };
    expect(messages(object)).toEqual([]);
  });
});

const meta = { name: 'x', namespace: 'default' };
const broken: Array<[string, Record<string, unknown>, string]> = [
  [
    'DestinationRule',
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: meta,
      spec: { host: 'a', trafficPolicy: { tls: { mode: 'MUTUALX' } } },
    },
    'spec.trafficPolicy.tls.mode: Unsupported value: "MUTUALX": supported values: "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"',
  ],
  [
    'VirtualService',
    {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: meta,
      spec: { hosts: ['a'], http: [{ route: [{ destination: { host: 'a' }, weight: 'ten' }] }] },
    },
    'spec.http[0].route[0].weight: Invalid value: "string": spec.http[0].route[0].weight in body must be of type integer: "string"',
  ],
  [
    'Gateway',
    {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'Gateway',
      metadata: meta,
      spec: { servers: [{ port: { number: 80, protocol: 'HTTP', name: 'http' } }] },
    },
    'spec.servers[0].hosts: Required value',
  ],
  [
    'ServiceEntry',
    { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta, spec: { location: 'MESH_EXTERNAL' } },
    'spec.hosts: Required value',
  ],
  [
    'Sidecar',
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: meta,
      spec: { egress: [{ hosts: ['./*'], captureMode: 'SOMETIMES' }] },
    },
    'spec.egress[0].captureMode: Unsupported value: "SOMETIMES": supported values: "DEFAULT", "IPTABLES", "NONE"',
  ],
  [
    'WorkloadEntry',
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'WorkloadEntry',
      metadata: meta,
      spec: { address: '1.2.3.4', weight: 5000000000 },
    },
    'spec.weight: Invalid value: 5000000000: spec.weight in body should be less than or equal to 4294967295',
  ],
  [
    'WorkloadGroup',
    { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadGroup', metadata: meta, spec: { metadata: {} } },
    'spec.template: Required value',
  ],
  [
    'EnvoyFilter',
    {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'EnvoyFilter',
      metadata: meta,
      spec: { configPatches: [{ applyTo: 'EVERYTHING' }] },
    },
    'spec.configPatches[0].applyTo: Unsupported value: "EVERYTHING"',
  ],
  [
    'ProxyConfig',
    { apiVersion: 'networking.istio.io/v1beta1', kind: 'ProxyConfig', metadata: meta, spec: { concurrency: 'four' } },
    'spec.concurrency: Invalid value: "string": spec.concurrency in body must be of type integer: "string"',
  ],
  [
    'AuthorizationPolicy',
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta, spec: { action: 'PERMIT' } },
    'spec.action: Unsupported value: "PERMIT": supported values: "ALLOW", "DENY", "AUDIT", "CUSTOM"',
  ],
  [
    'PeerAuthentication',
    {
      apiVersion: 'security.istio.io/v1beta1',
      kind: 'PeerAuthentication',
      metadata: meta,
      spec: { mtls: { mode: 'STRICTEST' } },
    },
    'spec.mtls.mode: Unsupported value: "STRICTEST": supported values: "UNSET", "DISABLE", "PERMISSIVE", "STRICT"',
  ],
  [
    'RequestAuthentication',
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'RequestAuthentication',
      metadata: meta,
      spec: { jwtRules: [{ issuer: 'a', jwksUri: 'ftp://x/jwks' }] },
    },
    'spec.jwtRules[0].jwksUri: Invalid value: "string": url must have scheme http:// or https://',
  ],
  [
    'Telemetry',
    {
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: meta,
      spec: { tracing: [{ randomSamplingPercentage: 150 }] },
    },
    'spec.tracing[0].randomSamplingPercentage: Invalid value: 150: spec.tracing[0].randomSamplingPercentage in body should be less than or equal to 100',
  ],
  [
    'WasmPlugin',
    { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: meta, spec: { phase: 'AUTHN' } },
    'spec.url: Required value',
  ],
  [
    'TrafficExtension',
    {
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'TrafficExtension',
      metadata: meta,
      spec: { phase: 'LATE', lua: { inlineCode: 'x' } },
    },
    'spec.phase: Unsupported value: "LATE"',
  ],
];

describe('a broken object of every kind fails with the API server path and message', () => {
  it('covers all 15 kinds', () => {
    expect(new Set(broken.map(([k]) => k)).size).toBe(15);
  });

  it.each(broken)('%s', (_kind, object, expected) => {
    const found = messages(object);
    expect(found.some((m) => m.startsWith(expected))).toBe(true);
  });
});

describe('unknown kinds and versions', () => {
  it('names what is served for an unknown version', () => {
    const outcome = schemas.validate(
      { apiVersion: 'security.istio.io/v2', kind: 'PeerAuthentication', metadata: meta },
      'webhook',
    );
    expect(outcome).toEqual({
      served: false,
      reason: 'PeerAuthentication.security.istio.io has no version "v2" (served: v1, v1beta1)',
    });
  });

  it('names the kinds of the group for an unknown kind', () => {
    const outcome = schemas.validate(
      { apiVersion: 'telemetry.istio.io/v1', kind: 'Tracing', metadata: meta },
      'webhook',
    );
    expect(outcome.served).toBe(false);
    expect(!outcome.served && outcome.reason).toBe(
      'kind "Tracing" is not served in group telemetry.istio.io (served: Telemetry)',
    );
  });

  it('names the groups for an unknown group', () => {
    const outcome = schemas.validate({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta }, 'webhook');
    expect(!outcome.served && outcome.reason).toMatch(
      /^group "apps" is not an Istio API group meshguard serves \(served: extensions.istio.io, networking.istio.io, security.istio.io, telemetry.istio.io\)$/,
    );
  });
});

describe('offline mode (kubectl --validate=strict)', () => {
  const pa = {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: meta,
    spec: { mtls: { mode: 'STRICT', extra: true } },
  };

  it('reports unknown fields offline and ignores them in webhook mode, where the API server prunes them', () => {
    expect(messages(pa, 'offline')).toEqual(['unknown field "spec.mtls.extra"']);
    expect(messages(pa, 'webhook')).toEqual([]);
  });

  it('keeps accepting arbitrary keys in maps and preserve-unknown-fields objects', () => {
    const withLabels = { ...pa, spec: { selector: { matchLabels: { 'app.kubernetes.io/name': 'x' } } } };
    expect(messages(withLabels, 'offline')).toEqual([]);
  });

  it('checks metadata offline: a name is required and must be a DNS subdomain', () => {
    expect(messages({ ...pa, metadata: { namespace: 'default' }, spec: {} }, 'offline')).toEqual([
      'metadata.name: Required value: name or generateName is required',
    ]);
    expect(messages({ ...pa, metadata: { name: 'Bad_Name' }, spec: {} }, 'offline')[0]).toMatch(
      /^metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
  });

  it('prints map keys in brackets, as the API server does', () => {
    const bad = { ...pa, spec: { selector: { matchLabels: { app: 7 } } } };
    expect(messages(bad)[0]).toBe(
      'spec.selector.matchLabels[app]: Invalid value: "integer": spec.selector.matchLabels[app] in body must be of type string: "integer"',
    );
  });
});

describe('CEL rules behind a structural error', () => {
  it('skips CEL when the structural schema failed, as the API server does', () => {
    const dr = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: meta,
      spec: { host: 'a', trafficPolicy: { tls: { mode: 'BAD' }, outlierDetection: { interval: '0s' } } },
    };
    const outcome = schemas.validate(dr, 'webhook');
    expect(outcome.served && outcome.celSkipped).toBe(true);
    const found = messages(dr);
    expect(found).toEqual([expect.stringMatching(/^spec.trafficPolicy.tls.mode: Unsupported value/)]);
    dr.spec.trafficPolicy.tls.mode = 'SIMPLE';
    expect(messages(dr)).toEqual([
      'spec.trafficPolicy.outlierDetection.interval: Invalid value: "string": must be a valid duration greater than 1ms',
    ]);
  });
});

describe('the offline (strict) validators', () => {
  const generated = (file: string) => require(join(packageRoot(), 'schemas/generated', file));
  const object = {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: meta,
    spec: { mtls: { mode: 'STRICT' }, mtlsMode: 'STRICT' },
  };

  it('are loaded on the first offline validation, once, and never for the webhook', () => {
    const loadOffline = jest.fn(() => generated('validators-strict.js'));
    const lazy = new IstioSchemas(KindRegistry.load(), generated('validators.js'), loadOffline);
    const errors = (mode: 'webhook' | 'offline') => {
      const outcome = lazy.validate(object, mode);
      return outcome.served ? outcome.errors.map(formatFieldError) : [outcome.reason];
    };
    expect(errors('webhook')).toEqual([]);
    expect(loadOffline).not.toHaveBeenCalled();
    expect(errors('offline')).toEqual(['unknown field "spec.mtlsMode"']);
    expect(errors('offline')).toEqual(['unknown field "spec.mtlsMode"']);
    expect(loadOffline).toHaveBeenCalledTimes(1);
  });

  it('say how to regenerate them when one is missing', () => {
    const lazy = new IstioSchemas(KindRegistry.load(), generated('validators.js'), () => ({}));
    expect(() => lazy.validate(object, 'offline')).toThrow(
      'no precompiled validator for PeerAuthentication (offline); run `npm run build`',
    );
  });
});
