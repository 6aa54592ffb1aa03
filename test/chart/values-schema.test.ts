import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { CHART_DIR, helmTemplateRaw, runHelm, TOOLS_TIMEOUT_MS } from '../support/helm';

interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  definitions?: Record<string, Schema>;
}

const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as Schema;
const values = load(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;

function resolve(s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.replace('#/definitions/', '');
  const target = schema.definitions?.[name];
  if (!target) throw new Error(`unresolved ${s.$ref}`);
  return resolve(target);
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Differences between values.yaml and the schema's `properties`, as "path: what". A schema object without
 * `properties` is free-form (config, affinity, labels...), and an empty map in values.yaml is a slot the user fills
 * (certManager.issuerRef), so the walk stops there.
 */
function differences(v: unknown, s: Schema, path: string): string[] {
  const sch = resolve(s);
  if (!isMap(v) || !sch.properties) return [];
  const out: string[] = [];
  if (Object.keys(v).length === 0) return out;
  for (const key of Object.keys(v)) {
    const child = sch.properties[key];
    if (!child) out.push(`${path}${key}: in values.yaml, not in values.schema.json`);
    else out.push(...differences(v[key], child, `${path}${key}.`));
  }
  for (const key of Object.keys(sch.properties))
    if (!(key in v)) out.push(`${path}${key}: in values.schema.json, not in values.yaml`);
  if (sch.additionalProperties !== false)
    out.push(`${path || '(top)'}: describes properties but allows others (a typo would pass)`);
  return out;
}

beforeAll(() => {
  runHelm(['version']);
}, TOOLS_TIMEOUT_MS);

test('values.yaml and values.schema.json describe the same keys', () => {
  expect(differences(values, schema, '')).toEqual([]);
});

test('the walk notices a key missing on either side', () => {
  expect(differences({ ...values, replicas: 3 }, schema, '')).toEqual([
    'replicas: in values.yaml, not in values.schema.json',
  ]);
  const { webhook, ...rest } = values;
  const { timeoutSeconds: _t, ...partialWebhook } = webhook as Record<string, unknown>;
  expect(differences({ ...rest, webhook: partialWebhook }, schema, '')).toEqual([
    'webhook.timeoutSeconds: in values.schema.json, not in values.yaml',
  ]);
});

describe('values.schema.json rejects values that would break the cluster or the pod', () => {
  test.each([
    ['webhook.failurePolicy=Sometimes', 'failurePolicy'],
    ['webhook.timeoutSeconds=60', 'timeoutSeconds'],
    ['webhook.timeoutSeconds=0', 'timeoutSeconds'],
    ['replicaCount=-1', 'replicaCount'],
    ['replicaCount=0', 'replicaCount'],
    ['webhook.failurPolicy=Ignore', 'failurPolicy'],
    ['replicas=3', 'replicas'],
    ['securityContext.readOnlyRootFilesystem=false', 'readOnlyRootFilesystem'],
    ['securityContext.allowPrivilegeEscalation=true', 'allowPrivilegeEscalation'],
    ['securityContext.privileged=true', 'privileged'],
    ['podSecurityContext.runAsNonRoot=false', 'runAsNonRoot'],
    ['podSecurityContext.runAsUser=0', 'runAsUser'],
    ['securityContext.capabilities.drop={NET_RAW}', 'drop'],
    ['securityContext.capabilities.add={NET_ADMIN}', 'add'],
    ['certManager.duration=90d', 'duration'],
    ['tls.caBundle=not base64!', 'caBundle'],
    ['server.logLevel=verbose', 'logLevel'],
    ['server.bodyLimitBytes=100', 'bodyLimitBytes'],
    ['image.digest=latest', 'digest'],
    ['podAntiAffinity=sometimes', 'podAntiAffinity'],
    ['webhook.excludedNamespaces={Kube_System}', 'excludedNamespaces'],
    ['resources.requests.memory=lots', 'memory'],
    ['podDisruptionBudget.maxUnavailable=0', 'maxUnavailable'],
    ['server.onDeadline=maybe', 'onDeadline'],
    ['server.evaluationDeadlineMs=50', 'evaluationDeadlineMs'],
    ['webhook.probeNamespace=Not_A_Namespace', 'probeNamespace'],
    ['webhook.failClosedAfterProbe=yes', 'failClosedAfterProbe'],
    ['webhook.url=http://meshguard.example.com/validate', 'url'],
    ['clientAuth.caConfigMap=Bad Name', 'caConfigMap'],
  ])('--set %s', (set, key) => {
    const r = helmTemplateRaw({ set: [set] });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toContain(key);
  });

  test.each([
    'webhook.failurePolicy=Ignore',
    'webhook.timeoutSeconds=30',
    'webhook.timeoutSeconds=1',
    'replicaCount=1',
    'server.bodyLimitBytes=1048576',
    'podDisruptionBudget.maxUnavailable=50%',
    'certManager.duration=2160h30m',
    'webhook.failClosedAfterProbe=false',
    'server.onDeadline=allow',
    'clientAuth.caConfigMap=apiserver-client-ca',
  ])('and accepts --set %s', (set) => {
    const r = helmTemplateRaw({ set: [set] });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
