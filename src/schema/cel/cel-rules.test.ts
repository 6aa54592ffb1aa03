/**
 * Every x-kubernetes-validations rule text of the vendored Istio CRDs, run through compileCelValidator on the real
 * kind schema: objects the API server admits and objects it refuses, with the path and message it prints.
 * Expected texts were checked against k8s.io/apiextensions-apiserver's own CEL validator (v0.34 for the schema-type
 * wording, v0.37 for the value wording).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatFieldError } from '../field-error';
import { type CelValidator, compileCelValidator } from './compile-cel-rules';

interface CrdKind {
  kind: string;
  schema: unknown;
}

const crds = JSON.parse(readFileSync(join(__dirname, '../../../schemas/generated/crds.json'), 'utf8')) as {
  kinds: CrdKind[];
};

type Spec = Record<string, unknown>;

interface RuleCase {
  rule: string;
  kind: string;
  pass: Spec[];
  /** `kind` overrides the entry's kind, for rules that appear in several kinds with different messages. */
  fail: Array<{ spec: Spec; errors: string[]; kind?: string }>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rule texts and counts, found by walking the schema the way the API server attaches rules. */
function rulesIn(schema: unknown, out: string[] = []): string[] {
  if (!isRecord(schema)) return out;
  const rules = schema['x-kubernetes-validations'];
  if (Array.isArray(rules)) for (const r of rules) if (isRecord(r) && typeof r.rule === 'string') out.push(r.rule);
  if (isRecord(schema.properties)) for (const p of Object.values(schema.properties)) rulesIn(p, out);
  rulesIn(schema.items, out);
  rulesIn(schema.additionalProperties, out);
  if (Array.isArray(schema.allOf)) for (const b of schema.allOf) rulesIn(b, out);
  return out;
}

const validators = new Map<string, CelValidator>();
const valueValidators = new Map<string, CelValidator>();
for (const k of crds.kinds) {
  validators.set(k.kind, compileCelValidator(k.schema));
  valueValidators.set(k.kind, compileCelValidator(k.schema, { failureValue: 'value' }));
}

function errorsFor(kind: string, spec: Spec, from = validators): string[] {
  const validator = from.get(kind);
  if (validator === undefined) throw new Error(`no CRD for kind ${kind}`);
  const object = { apiVersion: 'x/v1', kind, metadata: { name: 'test', namespace: 'default' }, spec };
  return validator.validate(object).map(formatFieldError).sort();
}

const UDS_RULE = 'self.startsWith("unix://") ? (self.substring(7, 8) == "/" || self.substring(7, 8) == "@") : true';
const WASM_URL_TE =
  'isURL(self) ? (url(self).getScheme() in ["", "http", "https", "file", "oci"]) : (isURL("http://" + self) &&\nurl("http://" + self).getScheme() in ["", "http", "https", "file", "oci"])';
const WASM_URL_WP =
  'isURL(self) ? (url(self).getScheme() in ["", "http", "https", "oci", "file"]) : (isURL("http://" + self) &&\nurl("http://" + self).getScheme() in ["", "http", "https", "oci", "file"])';

const ociWasm = { url: 'oci://ghcr.io/istio/ext:1.0' };
const seBase = { hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'TLS' }] };

const CASES: RuleCase[] = [
  {
    rule: '(has(self.selector) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1',
    kind: 'TrafficExtension',
    pass: [
      { wasm: ociWasm, selector: { matchLabels: { app: 'gw' } } },
      { wasm: ociWasm, targetRefs: [{ kind: 'Gateway', name: 'gw' }] },
    ],
    fail: [
      {
        spec: {
          wasm: ociWasm,
          selector: { matchLabels: { app: 'gw' } },
          targetRefs: [{ kind: 'Gateway', name: 'gw' }],
        },
        errors: ['spec: Invalid value: "object": only one of targetRefs or selector can be set'],
      },
    ],
  },
  {
    rule: 'has(self.wasm) != has(self.lua)',
    kind: 'TrafficExtension',
    pass: [{ wasm: ociWasm }, { lua: { inlineCode: 'function envoy_on_request(h) end' } }],
    fail: [
      { spec: {}, errors: ['spec: Invalid value: "object": exactly one of wasm or lua must be set'] },
      {
        spec: { wasm: ociWasm, lua: { inlineCode: 'x' } },
        errors: ['spec: Invalid value: "object": exactly one of wasm or lua must be set'],
      },
    ],
  },
  {
    rule: 'self.all(key, !key.contains("*"))',
    kind: 'AuthorizationPolicy',
    pass: [{ selector: { matchLabels: { app: 'a', 'app.kubernetes.io/name': 'b' } } }],
    fail: [
      {
        spec: { selector: { matchLabels: { 'app*': 'a' } } },
        errors: ['spec.selector.matchLabels: Invalid value: "object": wildcard not allowed in label key match'],
      },
    ],
  },
  {
    rule: 'self.all(key, key.size() != 0)',
    kind: 'DestinationRule',
    pass: [{ host: 'a', workloadSelector: { matchLabels: { app: 'a' } } }],
    fail: [
      {
        spec: { host: 'a', workloadSelector: { matchLabels: { '': 'a' } } },
        errors: ['spec.workloadSelector.matchLabels: Invalid value: "object": key must not be empty'],
      },
    ],
  },
  {
    rule: '!self.contains("*")',
    kind: 'ServiceEntry',
    pass: [{ ...seBase, workloadSelector: { labels: { app: 'a' } } }],
    fail: [
      {
        spec: { ...seBase, workloadSelector: { labels: { app: 'a*' } } },
        errors: ['spec.workloadSelector.labels[app]: Invalid value: "string": wildcard is not supported in selector'],
      },
      {
        kind: 'Telemetry',
        spec: { selector: { matchLabels: { app: '*' } } },
        errors: ['spec.selector.matchLabels[app]: Invalid value: "string": wildcard not allowed in label value match'],
      },
    ],
  },
  {
    rule: 'self.size() == 0',
    kind: 'AuthorizationPolicy',
    pass: [
      { targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' } },
      { targetRef: { kind: 'Gateway', name: 'gw', namespace: '' } },
    ],
    fail: [
      {
        spec: { targetRefs: [{ kind: 'Gateway', name: 'gw', namespace: 'other' }] },
        errors: [
          'spec.targetRefs[0].namespace: Invalid value: "string": cross namespace referencing is not currently supported',
        ],
      },
    ],
  },
  {
    rule: WASM_URL_TE,
    kind: 'TrafficExtension',
    pass: [
      { wasm: { url: 'oci://ghcr.io/istio/ext:1.0' } },
      { wasm: { url: 'ghcr.io/istio/ext:1.0' } },
      { wasm: { url: 'file:///opt/filters/ext.wasm' } },
      { wasm: { url: 'https://example.com/ext.wasm' } },
    ],
    fail: [
      {
        spec: { wasm: { url: 'ftp://example.com/ext.wasm' } },
        errors: ['spec.wasm.url: Invalid value: "string": url must have schema one of [http, https, file, oci]'],
      },
      {
        spec: { wasm: { url: 'bad host/ext.wasm' } },
        errors: ['spec.wasm.url: Invalid value: "string": url must have schema one of [http, https, file, oci]'],
      },
    ],
  },
  {
    rule: '(has(self.valueFrom) ? self.valueFrom : "") != "HOST" || !has(self.value)',
    kind: 'WasmPlugin',
    pass: [
      {
        url: 'oci://x/y:1',
        vmConfig: {
          env: [
            { name: 'A', valueFrom: 'HOST' },
            { name: 'B', value: 'b' },
          ],
        },
      },
      { url: 'oci://x/y:1', vmConfig: { env: [{ name: 'A', valueFrom: 'INLINE', value: 'a' }] } },
    ],
    fail: [
      {
        spec: {
          url: 'oci://x/y:1',
          vmConfig: {
            env: [
              { name: 'B', value: 'b' },
              { name: 'A', valueFrom: 'HOST', value: 'a' },
            ],
          },
        },
        errors: ['spec.vmConfig.env[1]: Invalid value: "object": value may only be set when valueFrom is INLINE'],
      },
    ],
  },
  {
    rule: '(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1',
    kind: 'RequestAuthentication',
    pass: [{ selector: { matchLabels: { app: 'a' } } }, { targetRef: { kind: 'Gateway', name: 'gw' } }, {}],
    fail: [
      {
        spec: { targetRef: { kind: 'Gateway', name: 'gw' }, targetRefs: [{ kind: 'Gateway', name: 'gw2' }] },
        errors: ['spec: Invalid value: "object": only one of targetRefs or selector can be set'],
      },
    ],
  },
  {
    rule: WASM_URL_WP,
    kind: 'WasmPlugin',
    pass: [{ url: 'oci://ghcr.io/x/y:1' }, { url: 'ghcr.io/x/y:1' }, { url: 'http://example.com/f.wasm' }],
    fail: [
      {
        spec: { url: '#%blah$#@' },
        errors: ['spec.url: Invalid value: "string": url must have schema one of [http, https, file, oci]'],
      },
      {
        spec: { url: 'gopher://example.com/f.wasm' },
        errors: ['spec.url: Invalid value: "string": url must have schema one of [http, https, file, oci]'],
      },
    ],
  },
  {
    rule: "duration(self) >= duration('1ms')",
    kind: 'DestinationRule',
    pass: [
      {
        host: 'a',
        trafficPolicy: { connectionPool: { tcp: { connectTimeout: '1ms', maxConnectionDuration: '1.5h' } } },
      },
      { host: 'a', subsets: [{ name: 'v1', trafficPolicy: { connectionPool: { http: { idleTimeout: '1000us' } } } }] },
    ],
    fail: [
      {
        spec: { host: 'a', trafficPolicy: { connectionPool: { tcp: { maxConnectionDuration: '500ns' } } } },
        errors: [
          'spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration: Invalid value: "string": must be a valid duration greater than 1ms',
        ],
      },
      {
        spec: {
          host: 'a',
          subsets: [{ name: 'v1' }, { name: 'v2', trafficPolicy: { connectionPool: { http: { idleTimeout: '0' } } } }],
        },
        errors: [
          'spec.subsets[1].trafficPolicy.connectionPool.http.idleTimeout: Invalid value: "string": must be a valid duration greater than 1ms',
        ],
      },
      {
        // Go's time.ParseDuration has no day unit: the rule fails to evaluate, which the API server also reports.
        spec: { host: 'a', trafficPolicy: { connectionPool: { tcp: { connectTimeout: '1d' } } } },
        errors: [
          "spec.trafficPolicy.connectionPool.tcp.connectTimeout: Invalid value: \"string\": type conversion error from 'string' to 'google.protobuf.Duration' evaluating rule: must be a valid duration greater than 1ms",
        ],
      },
    ],
  },
  {
    rule: '(has(self.workloadSelector) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1',
    kind: 'EnvoyFilter',
    pass: [{ workloadSelector: { labels: { app: 'a' } } }, { targetRefs: [{ kind: 'Gateway', name: 'gw' }] }],
    fail: [
      {
        spec: { workloadSelector: { labels: { app: 'a' } }, targetRefs: [{ kind: 'Gateway', name: 'gw' }] },
        errors: ['spec: Invalid value: "object": only one of targetRefs or workloadSelector can be set'],
      },
    ],
  },
  {
    rule: 'has(self.context) ? ((self.context == "WAYPOINT") ? has(self.waypoint) : !has(self.waypoint)) : !has(self.waypoint)',
    kind: 'EnvoyFilter',
    pass: [
      { configPatches: [{ applyTo: 'HTTP_FILTER', match: { context: 'WAYPOINT', waypoint: { portNumber: 8080 } } }] },
      {
        configPatches: [
          { applyTo: 'HTTP_FILTER', match: { context: 'SIDECAR_INBOUND' } },
          { applyTo: 'CLUSTER', match: {} },
        ],
      },
    ],
    fail: [
      {
        spec: {
          configPatches: [
            { applyTo: 'HTTP_FILTER', match: { context: 'SIDECAR_INBOUND', waypoint: { portNumber: 80 } } },
          ],
        },
        errors: [
          'spec.configPatches[0].match: Invalid value: "object": only support waypointMatch when context is WAYPOINT',
        ],
      },
      {
        spec: { configPatches: [{ applyTo: 'CLUSTER' }, { applyTo: 'HTTP_FILTER', match: { context: 'WAYPOINT' } }] },
        errors: [
          'spec.configPatches[1].match: Invalid value: "object": only support waypointMatch when context is WAYPOINT',
        ],
      },
    ],
  },
  {
    rule: '0 < self && self <= 65535',
    kind: 'ServiceEntry',
    pass: [
      {
        ...seBase,
        ports: [{ number: 1, name: 'a', targetPort: 65535 }],
        resolution: 'STATIC',
        endpoints: [{ address: '1.1.1.1', ports: { a: 8080 } }],
      },
    ],
    fail: [
      {
        spec: { ...seBase, ports: [{ number: 0, name: 'a' }] },
        errors: ['spec.ports[0].number: Invalid value: "integer": port must be between 1-65535'],
      },
      {
        spec: { ...seBase, resolution: 'STATIC', endpoints: [{ address: '1.1.1.1', ports: { https: 65536 } }] },
        errors: ['spec.endpoints[0].ports[https]: Invalid value: "integer": port must be between 1-65535'],
      },
    ],
  },
  {
    rule: '(has(self.tlsCertificates) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1',
    kind: 'Gateway',
    pass: [
      {
        servers: [
          {
            port: { number: 443, name: 'https', protocol: 'HTTPS' },
            hosts: ['*'],
            tls: { mode: 'SIMPLE', credentialNames: ['a', 'b'] },
          },
        ],
      },
    ],
    fail: [
      {
        // The CRD carries this check twice, under two messages; the API server reports both.
        spec: {
          servers: [
            { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] },
            {
              port: { number: 443, name: 'https', protocol: 'HTTPS' },
              hosts: ['*'],
              tls: {
                mode: 'SIMPLE',
                credentialNames: ['a'],
                tlsCertificates: [{ serverCertificate: '/c', privateKey: '/k' }],
              },
            },
          ],
        },
        errors: [
          'spec.servers[1].tls: Invalid value: "object": only one of credentialName or tlsCertificates can be set',
          'spec.servers[1].tls: Invalid value: "object": only one of credentialNames or tlsCertificates can be set',
        ],
      },
    ],
  },
  {
    rule: '(has(self.credentialName) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1',
    kind: 'Sidecar',
    pass: [
      {
        ingress: [
          { port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', credentialName: 'a' } },
        ],
      },
    ],
    fail: [
      {
        spec: {
          ingress: [
            {
              port: { number: 443, name: 'https', protocol: 'HTTPS' },
              tls: { mode: 'SIMPLE', credentialName: 'a', credentialNames: ['b'] },
            },
          ],
        },
        errors: [
          'spec.ingress[0].tls: Invalid value: "object": only one of credentialName or credentialNames can be set',
        ],
      },
    ],
  },
  {
    rule: '(has(self.credentialNames) ? 1 : 0) + (has(self.tlsCertificates) ? 1 : 0) <= 1',
    kind: 'Gateway',
    pass: [
      {
        servers: [
          {
            port: { number: 443, name: 'https', protocol: 'HTTPS' },
            hosts: ['*'],
            tls: { mode: 'SIMPLE', tlsCertificates: [{ serverCertificate: '/c', privateKey: '/k' }] },
          },
        ],
      },
    ],
    fail: [
      {
        spec: {
          servers: [
            {
              port: { number: 443, name: 'https', protocol: 'HTTPS' },
              hosts: ['*'],
              tls: { credentialNames: ['a'], tlsCertificates: [{}] },
            },
          ],
        },
        errors: [
          'spec.servers[0].tls: Invalid value: "object": only one of credentialName or tlsCertificates can be set',
          'spec.servers[0].tls: Invalid value: "object": only one of credentialNames or tlsCertificates can be set',
        ],
      },
    ],
  },
  {
    rule: '(has(self.workloadSelector) ? 1 : 0) + (has(self.endpoints) ? 1 : 0) <= 1',
    kind: 'ServiceEntry',
    pass: [{ ...seBase, resolution: 'STATIC', workloadSelector: { labels: { app: 'a' } } }],
    fail: [
      {
        spec: {
          ...seBase,
          resolution: 'STATIC',
          workloadSelector: { labels: { app: 'a' } },
          endpoints: [{ address: '1.1.1.1' }],
        },
        errors: ['spec: Invalid value: "object": only one of WorkloadSelector or Endpoints can be set'],
      },
    ],
  },
  {
    rule: '!((has(self.addresses) ? self.addresses : []).exists(k, k.contains("/")) && !((has(self.resolution) ? self.resolution : "NONE") in ["STATIC", "NONE"]))',
    kind: 'ServiceEntry',
    pass: [
      { ...seBase, addresses: ['10.0.0.0/16'] },
      { ...seBase, addresses: ['10.0.0.1'], resolution: 'DNS' },
    ],
    fail: [
      {
        spec: { ...seBase, addresses: ['10.0.0.1', '10.1.0.0/16'], resolution: 'DNS' },
        errors: ['spec: Invalid value: "object": CIDR addresses are allowed only for NONE/STATIC resolution types'],
      },
    ],
  },
  {
    rule: '((has(self.resolution) ? self.resolution : "NONE") == "NONE") ? !has(self.endpoints) : true',
    kind: 'ServiceEntry',
    pass: [{ ...seBase }, { ...seBase, resolution: 'STATIC', endpoints: [{ address: '1.1.1.1' }] }],
    fail: [
      {
        spec: { ...seBase, endpoints: [{ address: '1.1.1.1' }] },
        errors: ['spec: Invalid value: "object": NONE mode cannot set endpoints'],
      },
    ],
  },
  {
    rule: '((has(self.resolution) ? self.resolution : "") == "DNS_ROUND_ROBIN") ? ((has(self.endpoints) ? self.endpoints : []).size() <= 1) : true',
    kind: 'ServiceEntry',
    pass: [
      { ...seBase, resolution: 'DNS_ROUND_ROBIN', endpoints: [{ address: 'a.example.com' }] },
      { ...seBase, resolution: 'DNS_ROUND_ROBIN' },
    ],
    fail: [
      {
        spec: {
          ...seBase,
          resolution: 'DNS_ROUND_ROBIN',
          endpoints: [{ address: 'a.example.com' }, { address: 'b.example.com' }],
        },
        errors: ['spec: Invalid value: "object": DNS_ROUND_ROBIN mode cannot have multiple endpoints'],
      },
    ],
  },
  {
    rule: 'has(self.address) || has(self.network)',
    kind: 'WorkloadEntry',
    pass: [{ address: '10.0.0.1' }, { network: 'remote' }],
    fail: [
      { spec: {}, errors: ['spec: Invalid value: "object": Address is required'] },
      { spec: { labels: { app: 'a' }, address: null }, errors: ['spec: Invalid value: "object": Address is required'] },
    ],
  },
  {
    rule: '(has(self.address) ? self.address : "").startsWith("unix://") ? !has(self.ports) : true',
    kind: 'WorkloadGroup',
    pass: [
      { template: { address: 'unix:///var/run/app.sock' } },
      { template: { address: '10.0.0.1', ports: { http: 8080 } } },
    ],
    fail: [
      {
        spec: { template: { address: 'unix:///var/run/app.sock', ports: { http: 8080 } } },
        errors: ['spec.template: Invalid value: "object": UDS may not include ports'],
      },
    ],
  },
  {
    rule: UDS_RULE,
    kind: 'WorkloadEntry',
    pass: [{ address: 'unix:///var/run/app.sock' }, { address: 'unix://@abstract' }, { address: 'unix.example.com' }],
    fail: [
      {
        spec: { address: 'unix://relative/app.sock' },
        errors: ['spec.address: Invalid value: "string": UDS must be an absolute path or abstract socket'],
      },
      {
        // substring(7, 8) of "unix://" is out of range: an evaluation error, reported with the rule's message.
        spec: { address: 'unix://' },
        errors: [
          'spec.address: Invalid value: "string": UDS may not be a dir',
          'spec.address: Invalid value: "string": index out of range: 8 evaluating rule: UDS must be an absolute path or abstract socket',
        ],
      },
    ],
  },
  {
    rule: 'self.startsWith("unix://") ? !self.endsWith("/") : true',
    kind: 'ServiceEntry',
    pass: [{ ...seBase, resolution: 'STATIC', endpoints: [{ address: 'unix:///var/run/app.sock' }] }],
    fail: [
      {
        spec: { ...seBase, resolution: 'STATIC', endpoints: [{ address: 'unix:///var/run/' }] },
        errors: ['spec.endpoints[0].address: Invalid value: "string": UDS may not be a dir'],
      },
    ],
  },
  {
    rule: 'self.all(key, size(key) < 63 && key.matches("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$"))',
    kind: 'WorkloadEntry',
    pass: [{ address: '10.0.0.1', ports: { http: 80, 'grpc-web': 81, [`a${'b'.repeat(61)}`]: 82 } }],
    fail: [
      {
        spec: { address: '10.0.0.1', ports: { http: 80, '-http': 81 } },
        errors: ['spec.ports: Invalid value: "object": port name must be valid'],
      },
      {
        spec: { address: '10.0.0.1', ports: { [`a${'b'.repeat(62)}`]: 80 } },
        errors: ['spec.ports: Invalid value: "object": port name must be valid'],
      },
    ],
  },
  {
    rule: 'self != "*"',
    kind: 'ServiceEntry',
    pass: [{ ...seBase, hosts: ['*.example.com'] }],
    fail: [
      {
        spec: { ...seBase, hosts: ['a.example.com', '*'] },
        errors: ['spec.hosts[1]: Invalid value: "string": hostname cannot be wildcard'],
      },
    ],
  },
  {
    rule: 'self.all(l1, self.exists_one(l2, l1.number == l2.number))',
    kind: 'ServiceEntry',
    pass: [
      {
        ...seBase,
        ports: [
          { number: 80, name: 'http' },
          { number: 443, name: 'https' },
        ],
      },
    ],
    fail: [
      {
        spec: {
          ...seBase,
          ports: [
            { number: 80, name: 'http' },
            { number: 443, name: 'https' },
            { number: 80, name: 'http2' },
          ],
        },
        errors: ['spec.ports: Invalid value: "array": port number cannot be duplicated'],
      },
    ],
  },
  {
    rule: 'self in ["", "HTTP", "HTTPS"]',
    kind: 'WorkloadGroup',
    pass: [
      { template: {}, probe: { httpGet: { port: 8080, scheme: 'HTTPS' } } },
      { template: {}, probe: { httpGet: { port: 8080, scheme: '' } } },
    ],
    fail: [
      {
        spec: { template: {}, probe: { httpGet: { port: 8080, scheme: 'https' } } },
        errors: ['spec.probe.httpGet.scheme: Invalid value: "string": scheme must be one of [HTTP, HTTPS]'],
      },
    ],
  },
  {
    rule: '(has(self.serviceAccounts) || has(self.notServiceAccounts)) ? (!has(self.principals) &&\n!has(self.notPrincipals) && !has(self.namespaces) && !has(self.notNamespaces)) : true',
    kind: 'AuthorizationPolicy',
    pass: [
      {
        rules: [
          { from: [{ source: { serviceAccounts: ['ns/sa'] } }, { source: { namespaces: ['ns'], principals: ['p'] } }] },
        ],
      },
    ],
    fail: [
      {
        spec: {
          rules: [
            {},
            {
              from: [
                { source: { namespaces: ['a'] } },
                { source: { notServiceAccounts: ['ns/sa'], notPrincipals: ['p'] } },
              ],
            },
          ],
        },
        errors: [
          'spec.rules[1].from[1].source: Invalid value: "object": Cannot set serviceAccounts with namespaces or principals',
        ],
      },
    ],
  },
  {
    rule: 'has(self.portLevelMtls) ? (((has(self.selector) && has(self.selector.matchLabels)) ? self.selector.matchLabels : {}).size() > 0) : true',
    kind: 'PeerAuthentication',
    pass: [
      { mtls: { mode: 'STRICT' } },
      { selector: { matchLabels: { app: 'a' } }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
    ],
    fail: [
      {
        spec: { portLevelMtls: { '8080': { mode: 'DISABLE' } } },
        errors: ['spec: Invalid value: "object": portLevelMtls requires selector'],
      },
      {
        spec: { selector: { matchLabels: {} }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
        errors: ['spec: Invalid value: "object": portLevelMtls requires selector'],
      },
    ],
  },
  {
    rule: 'self.all(key, 0 < int(key) && int(key) <= 65535)',
    kind: 'PeerAuthentication',
    pass: [
      {
        selector: { matchLabels: { app: 'a' } },
        portLevelMtls: { '1': { mode: 'STRICT' }, '65535': { mode: 'DISABLE' } },
      },
    ],
    fail: [
      {
        spec: { selector: { matchLabels: { app: 'a' } }, portLevelMtls: { '65536': { mode: 'STRICT' } } },
        errors: ['spec.portLevelMtls: Invalid value: "object": port must be between 1-65535'],
      },
      {
        // int("http") cannot convert: an evaluation error.
        spec: { selector: { matchLabels: { app: 'a' } }, portLevelMtls: { http: { mode: 'STRICT' } } },
        errors: [
          "spec.portLevelMtls: Invalid value: \"object\": type conversion error from 'string' to 'int' evaluating rule: port must be between 1-65535",
        ],
      },
    ],
  },
  {
    rule: '(has(self.jwksUri) ? 1 : 0) + (has(self.jwks_uri) ? 1 : 0) + (has(self.jwks) ? 1 : 0) <= 1',
    kind: 'RequestAuthentication',
    pass: [
      {
        jwtRules: [
          { issuer: 'a', jwksUri: 'https://a.example.com/keys' },
          { issuer: 'b', jwks: '{}' },
        ],
      },
    ],
    fail: [
      {
        spec: { jwtRules: [{ issuer: 'a', jwks_uri: 'https://a.example.com/keys', jwks: '{}' }] },
        errors: ['spec.jwtRules[0]: Invalid value: "object": only one of jwks or jwksUri can be set'],
      },
    ],
  },
  {
    rule: 'url(self).getScheme() in ["http", "https"]',
    kind: 'RequestAuthentication',
    pass: [
      {
        jwtRules: [
          { issuer: 'a', jwksUri: 'https://a.example.com:8443/keys' },
          { issuer: 'b', jwks_uri: 'HTTP://b.example.com/keys' },
        ],
      },
    ],
    fail: [
      {
        spec: { jwtRules: [{ issuer: 'a', jwksUri: 'ftp://a.example.com/keys' }] },
        errors: ['spec.jwtRules[0].jwksUri: Invalid value: "string": url must have scheme http:// or https://'],
      },
      {
        spec: { jwtRules: [{ issuer: 'a', jwks_uri: 'a.example.com/keys' }] },
        errors: [
          'spec.jwtRules[0].jwks_uri: Invalid value: "string": URL parse error during conversion from string: parse "a.example.com/keys": invalid URI for request evaluating rule: url must have scheme http:// or https://',
        ],
      },
      {
        spec: { jwtRules: [{ issuer: 'a', jwksUri: 'https://foo.com:not-a-number' }] },
        errors: [
          'spec.jwtRules[0].jwksUri: Invalid value: "string": URL parse error during conversion from string: parse "https://foo.com:not-a-number": invalid port ":not-a-number" after host evaluating rule: url must have scheme http:// or https://',
        ],
      },
    ],
  },
  {
    rule: '((has(self.operation) ? self.operation : "") == "UPSERT") ? (self.value != "") : true',
    kind: 'Telemetry',
    pass: [
      {
        metrics: [
          {
            overrides: [{ tagOverrides: { foo: { operation: 'UPSERT', value: 'request.host' }, bar: { value: 'x' } } }],
          },
        ],
      },
    ],
    fail: [
      {
        spec: { metrics: [{ overrides: [{ tagOverrides: { foo: { operation: 'UPSERT', value: '' } } }] }] },
        errors: [
          'spec.metrics[0].overrides[0].tagOverrides[foo]: Invalid value: "object": value must be set when operation is UPSERT',
        ],
      },
      {
        // Reading an absent field is an error in CEL; the API server reports it with the rule's message.
        spec: { metrics: [{ overrides: [{ tagOverrides: { foo: { operation: 'UPSERT' } } }] }] },
        errors: [
          'spec.metrics[0].overrides[0].tagOverrides[foo]: Invalid value: "object": no such key: value evaluating rule: value must be set when operation is UPSERT',
        ],
      },
    ],
  },
  {
    rule: '((has(self.operation) ? self.operation : "") == "REMOVE") ? !has(self.value) : true',
    kind: 'Telemetry',
    pass: [{ metrics: [{ overrides: [{ tagOverrides: { foo: { operation: 'REMOVE' } } }] }] }],
    fail: [
      {
        spec: { metrics: [{}, { overrides: [{ tagOverrides: { foo: { operation: 'REMOVE', value: 'x' } } }] }] },
        errors: [
          'spec.metrics[1].overrides[0].tagOverrides[foo]: Invalid value: "object": value must not be set when operation is REMOVE',
        ],
      },
    ],
  },
];

describe('the Istio CRD rule texts', () => {
  test('every distinct rule text in crds.json has cases here, and only those', () => {
    const inCrds = new Set(crds.kinds.flatMap((k) => rulesIn(k.schema)));
    expect(new Set(CASES.map((c) => c.rule))).toEqual(inCrds);
  });

  test('each validator counts the rules of its schema', () => {
    for (const k of crds.kinds) expect(validators.get(k.kind)?.ruleCount).toBe(rulesIn(k.schema).length);
  });

  test('each case exercises its own rule in its kind', () => {
    for (const c of CASES) {
      const kind = crds.kinds.find((k) => k.kind === c.kind);
      expect(rulesIn(kind?.schema)).toContain(c.rule);
    }
  });
});

describe.each(CASES)('$kind: $rule', ({ kind, pass, fail }) => {
  test.each(pass.map((spec, i) => [i, spec] as const))('admits object %i', (_i, spec) => {
    expect(errorsFor(kind, spec)).toEqual([]);
  });
  test.each(fail.map((f, i) => [i, f] as const))('refuses object %i', (_i, f) => {
    expect(errorsFor(f.kind ?? kind, f.spec)).toEqual([...f.errors].sort());
  });
});

describe("Kubernetes 1.35+ wording (failureValue: 'value')", () => {
  test('a failed rule on a scalar quotes the value itself', () => {
    expect(errorsFor('ServiceEntry', { ...seBase, ports: [{ number: 0, name: 'a' }] }, valueValidators)).toEqual([
      'spec.ports[0].number: Invalid value: 0: port must be between 1-65535',
    ]);
    expect(
      errorsFor(
        'DestinationRule',
        { host: 'a', trafficPolicy: { connectionPool: { tcp: { maxConnectionDuration: '500ns' } } } },
        valueValidators,
      ),
    ).toEqual([
      'spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration: Invalid value: "500ns": must be a valid duration greater than 1ms',
    ]);
  });

  test('a failed rule on an object or array quotes no value', () => {
    expect(errorsFor('ServiceEntry', { ...seBase, endpoints: [{ address: '1.1.1.1' }] }, valueValidators)).toEqual([
      'spec: Invalid value: NONE mode cannot set endpoints',
    ]);
  });

  test('an evaluation error still quotes the schema type', () => {
    expect(errorsFor('WorkloadEntry', { address: 'unix://' }, valueValidators)).toEqual([
      'spec.address: Invalid value: "string": index out of range: 8 evaluating rule: UDS must be an absolute path or abstract socket',
      'spec.address: Invalid value: "unix://": UDS may not be a dir',
    ]);
  });
});
