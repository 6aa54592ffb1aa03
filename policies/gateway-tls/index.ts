import { matchesPattern } from '../../src/engine/name-patterns';
import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import {
  asArray,
  asRecord,
  asRecords,
  asString,
  type Json,
  metadataOf,
  specOf,
} from '../../src/policy-helpers/object-access';

type TlsVersion = 'TLSV1_0' | 'TLSV1_1' | 'TLSV1_2' | 'TLSV1_3';

interface Params {
  minProtocolVersion: TlsVersion;
  allowUnsetMinProtocolVersion: boolean;
  plainHttpAllowedGateways: string[];
  allowWildcardHosts: boolean;
}

const VERSION_RANK: Record<string, number> = { TLSV1_0: 0, TLSV1_1: 1, TLSV1_2: 2, TLSV1_3: 3 };

/** Envoy's server-side minimum when Istio passes TLS_AUTO or nothing (Envoy 1.22+, shipped since Istio 1.14). */
const ENVOY_DEFAULT_MIN: TlsVersion = 'TLSV1_2';

/** Istio parses protocols case-insensitively; these terminate or pass through TLS. */
const TLS_PROTOCOLS = new Set(['HTTPS', 'TLS']);
/** Cleartext HTTP family: Istio's `IsHTTP()` protocols, where `tls.httpsRedirect` applies. */
const PLAIN_HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);
/** Modes in which the gateway terminates TLS with a certificate it must be given. */
const CERTIFICATE_MODES = new Set(['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL']);
/** Modes in which the gateway does not terminate TLS; unset `tls.mode` is PASSTHROUGH, Istio's enum default. */
const PASSTHROUGH_MODES = new Set(['PASSTHROUGH', 'AUTO_PASSTHROUGH']);

interface Server {
  server: Json;
  tls: Json | undefined;
  path: string;
  label: string;
}

/** `port 443 HTTPS`, for messages: short, since warnings are one line of at most 256 characters. */
function serverLabel(server: Json): string {
  const port = asRecord(server.port);
  const number = port?.number;
  return `port ${typeof number === 'number' ? number : '?'} ${asString(port?.protocol) ?? ''}`.trimEnd();
}

function hasText(v: unknown): boolean {
  return typeof v === 'string' && v !== '';
}

function hasCredential(tls: Json): boolean {
  return hasText(tls.credentialName) || asArray(tls.credentialNames).some(hasText);
}

function hasCertificateMaterial(tls: Json): boolean {
  return (
    hasCredential(tls) ||
    hasText(tls.serverCertificate) ||
    hasText(tls.privateKey) ||
    asArray(tls.tlsCertificates).length > 0
  );
}

/** Certificates must come from a Kubernetes Secret (credentialName), not files mounted into the gateway pod. */
function checkCredentials({ tls, path, label }: Server & { tls: Json }): PolicyFinding[] {
  const hint =
    'store the certificate in a kubernetes.io/tls Secret next to the gateway and set tls.credentialName to it';
  const files = (['serverCertificate', 'privateKey'] as const).filter((k) => hasText(tls[k]));
  const first = files[0];
  if (first !== undefined) {
    return [
      {
        path: `${path}.tls.${first}`,
        message: `${first} is a mounted file (${String(tls[first])}); only credentialName (a Secret) is allowed`,
        hint,
      },
    ];
  }
  if (asArray(tls.tlsCertificates).length > 0) {
    return [
      {
        path: `${path}.tls.tlsCertificates`,
        message: 'tlsCertificates are mounted files; only credentialName or credentialNames (Secrets) are allowed',
        hint,
      },
    ];
  }
  if (!hasCredential(tls)) {
    return [
      {
        path: `${path}.tls.credentialName`,
        message: `${label} terminates TLS without credentialName; a Secret is required`,
        hint,
      },
    ];
  }
  return [];
}

function checkVersions({ tls, path }: Server & { tls: Json }, params: Params): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  const floor = params.minProtocolVersion;
  const floorRank = VERSION_RANK[floor] ?? 2;
  const hint = `set tls.minProtocolVersion: ${floor === 'TLSV1_3' ? 'TLSV1_3' : 'TLSV1_2'} (or TLSV1_3)`;
  const min = asString(tls.minProtocolVersion);
  if (min === undefined || min === 'TLS_AUTO') {
    const shown = min === undefined ? 'not set' : 'TLS_AUTO';
    if (!params.allowUnsetMinProtocolVersion) {
      out.push({
        path: `${path}.tls.minProtocolVersion`,
        message: `minProtocolVersion is ${shown}; an explicit ${floor} or later is required`,
        hint,
      });
    } else if ((VERSION_RANK[ENVOY_DEFAULT_MIN] ?? 2) < floorRank) {
      out.push({
        path: `${path}.tls.minProtocolVersion`,
        message: `minProtocolVersion is ${shown}, so Envoy's default ${ENVOY_DEFAULT_MIN} applies; at least ${floor} is required`,
        hint,
      });
    }
  } else if ((VERSION_RANK[min] ?? floorRank) < floorRank) {
    out.push({
      path: `${path}.tls.minProtocolVersion`,
      message: `minProtocolVersion is ${min}; at least ${floor} is required`,
      hint,
    });
  }
  const max = asString(tls.maxProtocolVersion);
  if (max !== undefined && max !== 'TLS_AUTO' && (VERSION_RANK[max] ?? floorRank) < floorRank) {
    out.push({
      path: `${path}.tls.maxProtocolVersion`,
      message: `maxProtocolVersion is ${max}; at least ${floor} is required`,
      hint: 'remove tls.maxProtocolVersion or set it to TLSV1_3',
    });
  }
  return out;
}

function checkTlsServer(s: Server, params: Params): PolicyFinding[] {
  const { tls, path } = s;
  if (tls === undefined) return []; // Istio itself rejects HTTPS/TLS servers without tls
  const withTls = { ...s, tls };
  const mode = asString(tls.mode);
  if (mode === undefined || PASSTHROUGH_MODES.has(mode)) {
    if (!hasCertificateMaterial(tls)) return [];
    return [
      {
        path: `${path}.tls.mode`,
        message: `tls.mode is ${mode ?? 'not set (PASSTHROUGH)'}, so TLS is not terminated and the certificate is ignored; SIMPLE or MUTUAL uses it`,
        hint: 'set tls.mode: SIMPLE (or MUTUAL) to terminate TLS, or remove the certificate fields for passthrough',
        severity: 'warning',
      },
    ];
  }
  return [...(CERTIFICATE_MODES.has(mode) ? checkCredentials(withTls) : []), ...checkVersions(withTls, params)];
}

/** `payments/public-*` matches namespace and name; `acme-solver` matches the name in any namespace. */
export function gatewayAllowed(patterns: readonly string[], namespace: string, name: string): boolean {
  return patterns.some((p) => {
    const slash = p.indexOf('/');
    if (slash < 0) return matchesPattern(p, name);
    return matchesPattern(p.slice(0, slash), namespace) && matchesPattern(p.slice(slash + 1), name);
  });
}

function checkPlainHttp({ tls, path, label }: Server, plainAllowed: boolean): PolicyFinding[] {
  if (plainAllowed || tls?.httpsRedirect === true) return [];
  return [
    {
      path: `${path}.tls.httpsRedirect`,
      message: `${label} serves plain HTTP without tls.httpsRedirect; plain HTTP may only redirect to HTTPS`,
      hint: 'add tls: {httpsRedirect: true} to the server, or serve it as HTTPS with a credentialName',
    },
  ];
}

/** A host of `*` (or `ns/*`) accepts any Host or SNI. Gateway hosts may carry a `namespace/` prefix. */
function checkHosts({ server, path }: Server): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  asArray(server.hosts).forEach((h, j) => {
    const host = asString(h);
    if (host === undefined || host.slice(host.indexOf('/') + 1) !== '*') return;
    out.push({
      path: `${path}.hosts[${j}]`,
      message: `host is ${host}, which accepts any hostname; specific hostnames are expected`,
      hint: 'list the hostnames this gateway serves (app.example.com, or *.example.com)',
      severity: 'warning',
    });
  });
  return out;
}

export default definePolicy<Params>({
  id: 'gateway-tls',
  summary:
    'Gateways terminate TLS with Secrets (credentialName) at TLS 1.2 or later, redirect plain HTTP to HTTPS, and avoid * hosts.',
  appliesTo: [{ group: 'networking.istio.io', kind: 'Gateway' }],
  defaultAction: 'deny',
  defaults: {
    minProtocolVersion: 'TLSV1_2',
    allowUnsetMinProtocolVersion: true,
    plainHttpAllowedGateways: [],
    allowWildcardHosts: false,
  },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      minProtocolVersion: { type: 'string', enum: ['TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'] },
      allowUnsetMinProtocolVersion: { type: 'boolean' },
      plainHttpAllowedGateways: {
        type: 'array',
        items: { type: 'string', pattern: '^[-a-z0-9.*?]+(/[-a-z0-9.*?]+)?$' },
      },
      allowWildcardHosts: { type: 'boolean' },
    },
  },
  check(object, ctx) {
    const name = asString(metadataOf(object).name) ?? '';
    const plainAllowed = gatewayAllowed(ctx.params.plainHttpAllowedGateways, ctx.namespace, name);
    const out: PolicyFinding[] = [];
    asRecords(specOf(object).servers).forEach((server, i) => {
      const s: Server = { server, tls: asRecord(server.tls), path: `spec.servers[${i}]`, label: serverLabel(server) };
      const protocol = asString(asRecord(server.port)?.protocol)?.toUpperCase() ?? '';
      if (TLS_PROTOCOLS.has(protocol)) out.push(...checkTlsServer(s, ctx.params));
      else if (PLAIN_HTTP_PROTOCOLS.has(protocol)) out.push(...checkPlainHttp(s, plainAllowed));
      if (!ctx.params.allowWildcardHosts) out.push(...checkHosts(s));
    });
    return out;
  },
});
