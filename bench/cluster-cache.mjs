// Section: the cluster view's memory and lookup cost. In a fresh `node --expose-gc` process, N objects (default
// 10,000, a realistic mix of the eight kinds the view watches, each as the API server sends it: managedFields,
// kubectl's last-applied annotation, labels, status) are fed one at a time into the index the webhook keeps, as a
// watch would, and dropped; the heap growth after full garbage collection, divided by N, is the cost per cached
// object. Then: the same per kind, what keeping the full objects would cost instead (an informer's cache), the time
// per update, and lookups at N/10 and N objects (constant time: the two should match).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireDist } from './lib/dist.mjs';
import { envNumber, target } from './lib/report.mjs';
import { runIfMain } from './lib/section.mjs';

const KINDS = [
  // kind, share of the mix
  ['VirtualService', 0.25],
  ['DestinationRule', 0.25],
  ['Service', 0.2],
  ['AuthorizationPolicy', 0.15],
  ['ServiceEntry', 0.05],
  ['PeerAuthentication', 0.05],
  ['Gateway', 0.02],
  ['Namespace', 0.03],
];
const NAMESPACES = 300;

function meta(kind, i, namespaced = true) {
  const ns = `team-${String(i % NAMESPACES).padStart(3, '0')}`;
  const name = `${kind.toLowerCase()}-${i}`;
  const stamp = `2026-0${1 + (i % 9)}-1${i % 10}T08:${String(i % 60).padStart(2, '0')}:00Z`;
  return {
    name,
    ...(namespaced ? { namespace: ns } : {}),
    uid: `6f1c${String(i).padStart(8, '0')}-7d2e-4a5b-9c3d-2e1f0a9b8c7d`,
    resourceVersion: String(100000 + i),
    generation: 3,
    creationTimestamp: stamp,
    labels: { app: `svc-${i}`, team: ns, 'app.kubernetes.io/managed-by': 'argocd' },
    annotations: {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
        kind,
        metadata: { name, namespace: ns },
      }).padEnd(600, ' '),
      'argocd.argoproj.io/tracking-id': `${ns}:networking.istio.io/${kind}:${ns}/${name}`,
    },
    managedFields: [
      {
        manager: 'argocd-controller',
        operation: 'Apply',
        apiVersion: 'networking.istio.io/v1',
        time: stamp,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {}, 'f:team': {} } },
          'f:spec': { 'f:hosts': {}, 'f:http': {} },
        },
      },
    ],
  };
}

/** One object as the API server would send it. */
function objectOf(kind, i) {
  const svc = `svc-${i % 2000}`;
  const ns = `team-${String(i % NAMESPACES).padStart(3, '0')}`;
  const istio = (group) => ({ apiVersion: `${group}/v1`, kind, metadata: meta(kind, i) });
  switch (kind) {
    case 'VirtualService':
      return {
        ...istio('networking.istio.io'),
        spec: {
          hosts: [svc],
          http: [
            {
              match: [{ uri: { prefix: '/api' }, headers: { 'x-canary': { exact: 'true' } } }],
              route: [{ destination: { host: svc, subset: 'v2', port: { number: 8080 } } }],
              retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,reset,connect-failure' },
              timeout: '10s',
            },
            {
              route: [
                { destination: { host: svc, subset: 'v1', port: { number: 8080 } }, weight: 90 },
                { destination: { host: svc, subset: 'v2', port: { number: 8080 } }, weight: 10 },
              ],
            },
          ],
        },
      };
    case 'DestinationRule':
      return {
        ...istio('networking.istio.io'),
        spec: {
          host: svc,
          trafficPolicy: {
            connectionPool: { tcp: { maxConnections: 100 }, http: { http2MaxRequests: 1000 } },
            outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' },
            tls: { mode: 'ISTIO_MUTUAL' },
          },
          subsets: [
            { name: 'v1', labels: { version: 'v1' } },
            { name: 'v2', labels: { version: 'v2' } },
          ],
        },
      };
    case 'Gateway':
      return {
        ...istio('networking.istio.io'),
        spec: {
          selector: { istio: 'ingressgateway' },
          servers: [
            {
              port: { number: 443, name: 'https', protocol: 'HTTPS' },
              hosts: [`${ns}/app-${i}.example.com`],
              tls: { mode: 'SIMPLE', credentialName: `cert-${i}` },
            },
            {
              port: { number: 80, name: 'http', protocol: 'HTTP' },
              hosts: [`${ns}/app-${i}.example.com`],
              tls: { httpsRedirect: true },
            },
          ],
        },
      };
    case 'ServiceEntry':
      return {
        ...istio('networking.istio.io'),
        spec: {
          hosts: [`api-${i}.partner.example.com`],
          location: 'MESH_EXTERNAL',
          resolution: 'DNS',
          ports: [{ number: 443, name: 'https', protocol: 'TLS' }],
        },
      };
    case 'PeerAuthentication':
      return {
        ...istio('security.istio.io'),
        spec:
          i % 2 ? { mtls: { mode: 'STRICT' } } : { selector: { matchLabels: { app: svc } }, mtls: { mode: 'STRICT' } },
      };
    case 'AuthorizationPolicy':
      return {
        ...istio('security.istio.io'),
        spec:
          i % 5 === 0
            ? {}
            : {
                selector: { matchLabels: { app: svc } },
                rules: [
                  {
                    from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/frontend`] } }],
                    to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }],
                  },
                ],
              },
      };
    case 'Service':
      return {
        apiVersion: 'v1',
        kind,
        metadata: meta(kind, i),
        spec: {
          type: 'ClusterIP',
          clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`,
          clusterIPs: [`10.96.${(i >> 8) & 255}.${i & 255}`],
          selector: { app: svc },
          ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }],
          sessionAffinity: 'None',
          ipFamilies: ['IPv4'],
          ipFamilyPolicy: 'SingleStack',
          internalTrafficPolicy: 'Cluster',
        },
        status: { loadBalancer: {} },
      };
    default:
      return {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          ...meta(kind, i, false),
          name: `ns-extra-${i}`,
          labels: {
            'kubernetes.io/metadata.name': `ns-extra-${i}`,
            'meshguard.io/profile': i % 2 ? 'strict' : 'relaxed',
            'istio-injection': 'enabled',
          },
        },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      };
  }
}

/** The mix: kind for the i-th object. */
function kindAt(i, n) {
  let acc = 0;
  const x = (i + 0.5) / n;
  for (const [kind, share] of KINDS) {
    acc += share;
    if (x < acc) return kind;
  }
  return KINDS[0][0];
}

function heapAfterGc() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/** Runs in the child: prints one JSON line with the measurements. */
function measure(n) {
  const { ClusterIndex } = requireDist('cluster/cluster-index');
  const { appliedDestinationRules } = requireDist('policy-helpers/destination-rules');
  const warm = new ClusterIndex();
  for (let i = 0; i < 200; i++) warm.upsert(kindAt(i, 200), objectOf(kindAt(i, 200), i));

  const fill = (count, kindOf) => {
    const index = new ClusterIndex();
    const before = heapAfterGc();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const kind = kindOf(i);
      index.upsert(kind, objectOf(kind, i));
    }
    const upsertUs = Number(process.hrtime.bigint() - t0) / 1000 / count;
    const bytes = heapAfterGc() - before;
    return { index, bytesPerObject: bytes / count, upsertUs };
  };

  const mix = fill(n, (i) => kindAt(i, n));
  const perKind = {};
  for (const [kind] of KINDS) {
    const r = fill(Math.min(n, 5000), () => kind);
    perKind[kind] = { bytesPerObject: r.bytesPerObject, upsertUs: r.upsertUs };
  }

  // What an informer cache of full objects would hold, for comparison.
  const before = heapAfterGc();
  const full = [];
  for (let i = 0; i < n; i++) full.push(JSON.parse(JSON.stringify(objectOf(kindAt(i, n), i))));
  const fullBytes = (heapAfterGc() - before) / n;
  full.length = 0;

  const lookups = (index, count) => {
    const hosts = Array.from(
      { length: 1000 },
      (_, k) =>
        `svc-${(k * 7) % 2000}.team-${String(((k * 7) % 2000) % NAMESPACES).padStart(3, '0')}.svc.cluster.local`,
    );
    const time = (fn) => {
      for (let r = 0; r < 3; r++) for (const h of hosts) fn(h);
      const t0 = process.hrtime.bigint();
      let sink = 0;
      for (let r = 0; r < 20; r++) for (const h of hosts) sink += fn(h);
      return { ns: Number(process.hrtime.bigint() - t0) / (20 * hosts.length), sink };
    };
    return {
      objects: count,
      destinationRules: time((h) => index.destinationRules(h).length).ns,
      virtualServicesRoutingTo: time((h) => index.virtualServicesRoutingTo(h).length).ns,
      namespaceLabels: time((h) => (index.namespaceLabels(h) ? 1 : 0)).ns,
      appliedDestinationRules: time(
        (h) => appliedDestinationRules(index, h, 'team-001', 'istio-system')?.subsets.size ?? 0,
      ).ns,
    };
  };
  const small = fill(Math.round(n / 10), (i) => kindAt(i, Math.round(n / 10)));
  return {
    objects: n,
    bytesPerObject: mix.bytesPerObject,
    upsertUs: mix.upsertUs,
    fullObjectBytes: fullBytes,
    perKind,
    lookups: [lookups(small.index, Math.round(n / 10)), lookups(mix.index, n)],
  };
}

const section = {
  id: 'cluster-cache',
  title: 'Cluster view: memory per cached object and lookup cost',
  async run() {
    const n = envNumber('BENCH_CLUSTER_OBJECTS', 10000);
    const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--measure', String(n)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`measurement failed (exit ${code}): ${err.slice(-2000)}`);
    const m = JSON.parse(out.trim().split('\n').at(-1));
    const [small, large] = m.lookups;
    return {
      tables: [
        {
          title: `${m.objects.toLocaleString('en-US')} objects (${KINDS.map(([k, s]) => `${Math.round(s * 100)}% ${k}`).join(', ')})`,
          columns: ['', 'bytes per object', 'µs per update'],
          rows: [
            ['cluster view (compact index), the mix', m.bytesPerObject, m.upsertUs],
            ...Object.entries(m.perKind).map(([k, v]) => [`  ${k} only`, v.bytesPerObject, v.upsertUs]),
            ['full objects as listed (an informer cache), the mix', m.fullObjectBytes, undefined],
          ],
        },
        {
          title: 'Lookups (ns each), at a tenth of the objects and at all of them',
          columns: ['lookup', `${small.objects} objects`, `${large.objects} objects`],
          rows: [
            ['destinationRules(host)', small.destinationRules, large.destinationRules],
            ['virtualServicesRoutingTo(host)', small.virtualServicesRoutingTo, large.virtualServicesRoutingTo],
            ['namespaceLabels(name)', small.namespaceLabels, large.namespaceLabels],
            [
              'appliedDestinationRules (Istio lookup order)',
              small.appliedDestinationRules,
              large.appliedDestinationRules,
            ],
          ],
        },
      ],
      notes: [
        'heap growth after full GC in a fresh node --expose-gc process, objects fed one at a time and dropped, as a watch does',
      ],
      targets: [target('cluster view memory per cached object', m.bytesPerObject, { atMost: 2048, unit: ' B' })],
      data: m,
    };
  },
};

export default section;

if (process.argv[2] === '--measure') {
  process.stdout.write(`${JSON.stringify(measure(Number(process.argv[3] ?? '10000')))}\n`);
} else {
  await runIfMain(import.meta.url, section);
}
