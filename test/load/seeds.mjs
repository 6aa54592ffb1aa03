// Valid AdmissionReviews to mutate and to drive load with: deploy/examples/*.yaml plus one object of each other kind
// the policies look at, as CREATE, UPDATE (with an oldObject) and, for the AuthorizationPolicy, DELETE.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { load } = require('js-yaml');
// The resource (plural) of each kind, from the CRDs meshguard serves (the scripts run after `npm run build`).
const { KindRegistry } = require(join(ROOT, 'dist/src/schema/kind-registry.js'));
const registry = KindRegistry.load();
const pluralOf = (kind) => registry.kinds.find((k) => k.kind === kind)?.plural ?? `${kind.toLowerCase()}s`;

const EXTRA = [
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'public', namespace: 'edge' },
    spec: {
      selector: { istio: 'ingressgateway' },
      servers: [
        {
          port: { number: 443, name: 'https', protocol: 'HTTPS' },
          hosts: ['shop.example.com'],
          tls: { mode: 'SIMPLE', credentialName: 'shop-cert', minProtocolVersion: 'TLSV1_2' },
        },
        {
          port: { number: 80, name: 'http', protocol: 'HTTP' },
          hosts: ['shop.example.com'],
          tls: { httpsRedirect: true },
        },
      ],
    },
  },
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: 'payments-api', namespace: 'shop' },
    spec: {
      hosts: ['api.payments.example.com'],
      ports: [{ number: 443, name: 'https', protocol: 'TLS' }],
      resolution: 'DNS',
      location: 'MESH_EXTERNAL',
    },
  },
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Sidecar',
    metadata: { name: 'default', namespace: 'shop' },
    spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
  },
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'RequestAuthentication',
    metadata: { name: 'jwt', namespace: 'shop' },
    spec: {
      selector: { matchLabels: { app: 'shop' } },
      jwtRules: [
        { issuer: 'https://issuer.example.com', audiences: ['shop'], jwksUri: 'https://issuer.example.com/jwks' },
      ],
    },
  },
  {
    apiVersion: 'telemetry.istio.io/v1',
    kind: 'Telemetry',
    metadata: { name: 'tracing', namespace: 'shop' },
    spec: { tracing: [{ randomSamplingPercentage: 5 }] },
  },
];

function examples() {
  const dir = join(ROOT, 'deploy/examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => load(readFileSync(join(dir, f), 'utf8')));
}

let counter = 0;

/** Wraps an object in the AdmissionReview the API server would send. */
export function reviewOf(object, operation = 'CREATE', oldObject = null) {
  const [group, version] = String(object.apiVersion).split('/');
  counter += 1;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `seed-${counter}`,
      kind: { group, version, kind: object.kind },
      resource: { group, version, resource: pluralOf(String(object.kind)) },
      requestKind: { group, version, kind: object.kind },
      name: object.metadata?.name,
      namespace: object.metadata?.namespace ?? 'default',
      operation,
      userInfo: { username: 'jane@example.com', uid: '42', groups: ['system:authenticated'] },
      object: operation === 'DELETE' ? null : object,
      oldObject,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: operation === 'UPDATE' ? 'UpdateOptions' : 'CreateOptions' },
    },
  };
}

/** Every seed review: each object created, updated (from itself) and, for AuthorizationPolicies, deleted. */
export function seedReviews() {
  const objects = [...examples(), ...EXTRA];
  const reviews = [];
  for (const o of objects) {
    reviews.push(reviewOf(o));
    reviews.push(reviewOf(o, 'UPDATE', structuredClone(o)));
    if (o.kind === 'AuthorizationPolicy') reviews.push(reviewOf(o, 'DELETE', structuredClone(o)));
  }
  return reviews;
}
