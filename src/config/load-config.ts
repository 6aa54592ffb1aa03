import type { ErrorObject } from 'ajv';
import type { AnyPolicy } from '../engine/policy';
import { field, formatPath, type PathSegment } from '../schema/field-path';
import { parseGoDuration } from '../schema/go-duration';
import type { KindRegistry } from '../schema/kind-registry';
import { pointerToSegments } from '../schema/structural-errors';
import { parseYamlDocuments, type YamlDocument, YamlSyntaxError } from '../yaml/yaml-documents';
import { configValidator } from './config-validator';
import type { ConfiguredExemption, ConfiguredPolicy, EngineConfig } from './engine-config';
import { compileSchemaPolicySchema, schemaPolicy } from './schema-policies';
import type { MeshguardConfigDocument } from './types';

/** A configuration problem, located: `config.yaml:12:5: policies.mtls-mod: unknown policy "mtls-mod" ...`. */
export interface ConfigError {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export type ConfigResult = { ok: true; config: EngineConfig } | { ok: false; errors: ConfigError[] };

export function formatConfigError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.path === '' ? '' : `${e.path}: `}${e.message}`;
}

export const DEFAULT_MESH_ROOT_NAMESPACE = 'istio-system';
export const DEFAULT_ANNOTATION_MAX_DURATION = '336h';

function describeSchemaError(
  e: ErrorObject,
  policies: readonly AnyPolicy[],
  segments: PathSegment[],
): { path: string; message: string } {
  const path = formatPath(segments);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const at = formatPath([...segments, field(key)]);
      if (path === 'policies') {
        return { path: at, message: `unknown policy "${key}" (known: ${policies.map((x) => x.id).join(', ')})` };
      }
      const known = Object.keys(((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object);
      return {
        path: at,
        message: `unknown key "${key}"${known.length > 0 ? ` (allowed here: ${known.join(', ')})` : ''}`,
      };
    }
    case 'required':
      return { path: formatPath([...segments, field(String(p.missingProperty))]), message: 'is required' };
    case 'enum':
      return {
        path,
        message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(e.data)}`,
      };
    case 'const':
      return { path, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'type':
      return {
        path,
        message: `must be ${p.type === 'array' || p.type === 'object' ? 'an' : 'a'} ${String(p.type)}, not ${JSON.stringify(e.data)}`,
      };
    case 'format':
      return {
        path,
        message: `must be an RFC 3339 date-time such as 2026-12-31T00:00:00Z, not ${JSON.stringify(e.data)}`,
      };
    default:
      return { path, message: e.message ?? 'is invalid' };
  }
}

/**
 * Reads, validates and resolves a configuration document. Nothing is applied unless the whole document is valid,
 * and every problem is reported at once with its file, line and key.
 */
export function loadConfig(
  text: string,
  file: string,
  policies: readonly AnyPolicy[],
  kinds: KindRegistry,
): ConfigResult {
  let docs: YamlDocument[];
  try {
    docs = parseYamlDocuments(text, { filename: file });
  } catch (err) {
    if (err instanceof YamlSyntaxError)
      return { ok: false, errors: [{ file, ...err.position, path: '', message: `YAML syntax error: ${err.message}` }] };
    throw err;
  }
  const nonEmpty = docs.filter((d) => d.value !== null && d.value !== undefined);
  if (nonEmpty.length > 1) {
    const second = nonEmpty[1] as YamlDocument;
    return {
      ok: false,
      errors: [
        { file, ...second.position, path: '', message: 'the configuration is one YAML document; found several' },
      ],
    };
  }
  const doc = nonEmpty[0];
  const value = doc?.value ?? {};
  const at = (path: string) => (doc ? doc.locate(path) : { line: 1, column: 1 });
  const errors: ConfigError[] = [];
  const fail = (path: string, message: string) => errors.push({ file, ...at(path), path, message });

  const validate = configValidator(policies);
  if (!validate(value)) {
    for (const e of validate.errors ?? []) {
      const { path, message } = describeSchemaError(e, policies, pointerToSegments(e.instancePath, value, {}));
      fail(path, message);
    }
    return { ok: false, errors };
  }
  const cfg = value as MeshguardConfigDocument;

  const configured: ConfiguredPolicy[] = policies.map((policy) => {
    const settings = cfg.policies?.[policy.id];
    return {
      policy,
      action: settings?.action ?? policy.defaultAction,
      params: { ...policy.defaults, ...(settings?.params ?? {}) },
    };
  });

  const registryIds = new Set(policies.map((p) => p.id));
  for (const [i, def] of (cfg.schemaPolicies ?? []).entries()) {
    const base = `schemaPolicies[${i}]`;
    if (registryIds.has(def.id)) {
      fail(`${base}.id`, `"${def.id}" is already a built-in policy; choose another id`);
      continue;
    }
    if (configured.some((c) => c.policy.id === def.id)) {
      fail(`${base}.id`, `"${def.id}" is declared twice`);
      continue;
    }
    def.kinds.forEach((k, j) => {
      if (!kinds.kinds.some((x) => x.group === k.group && x.kind === k.kind)) {
        fail(`${base}.kinds[${j}]`, `${k.kind}.${k.group} is not an Istio kind meshguard serves`);
      }
    });
    const compiled = compileSchemaPolicySchema(def.schema);
    if (!compiled.ok) {
      fail(`${base}.schema`, `not a valid JSON Schema: ${compiled.error}`);
      continue;
    }
    configured.push({ policy: schemaPolicy(def, compiled.validate, kinds), action: def.action ?? 'deny', params: {} });
  }

  const known = new Set(configured.map((c) => c.policy.id));
  const unknownPolicy = (id: string) => `unknown policy "${id}" (known: ${[...known].join(', ')})`;
  (cfg.namespaceOverrides ?? []).forEach((o, i) => {
    if (o.namespaces === undefined && o.namespaceSelector === undefined)
      fail(`namespaceOverrides[${i}]`, 'give namespaces (names or globs), namespaceSelector (labels), or both');
    (o.namespaceSelector?.matchExpressions ?? []).forEach((e, j) => {
      const values = e.values ?? [];
      const at = `namespaceOverrides[${i}].namespaceSelector.matchExpressions[${j}]`;
      if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0)
        fail(`${at}.values`, `operator ${e.operator} needs at least one value`);
      if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0)
        fail(`${at}.values`, `operator ${e.operator} takes no values`);
    });
    for (const id of Object.keys(o.policies))
      if (!known.has(id)) fail(`namespaceOverrides[${i}].policies[${id}]`, unknownPolicy(id));
  });

  const exemptions: ConfiguredExemption[] = [];
  (cfg.exemptions ?? []).forEach((x, i) => {
    x.policies.forEach((id, j) => {
      if (id !== '*' && !known.has(id)) fail(`exemptions[${i}].policies[${j}]`, unknownPolicy(id));
    });
    const { until, ...rest } = x;
    const pos = at(`exemptions[${i}]`);
    exemptions.push({ ...rest, ...(until ? { until: new Date(until) } : {}), source: `${file}:${pos.line}` });
  });

  const maxDuration = cfg.annotationExemptions?.maxDuration ?? DEFAULT_ANNOTATION_MAX_DURATION;
  const parsed = parseGoDuration(maxDuration);
  if (!parsed.ok) fail('annotationExemptions.maxDuration', `${parsed.error} (use hours, e.g. "336h" for 14 days)`);
  (cfg.annotationExemptions?.forbiddenPolicies ?? []).forEach((id, j) => {
    if (!known.has(id)) fail(`annotationExemptions.forbiddenPolicies[${j}]`, unknownPolicy(id));
  });

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      enforcement: cfg.enforcement ?? 'enforce',
      meshRootNamespace: cfg.meshRootNamespace ?? DEFAULT_MESH_ROOT_NAMESPACE,
      ratcheting: cfg.ratcheting ?? true,
      policies: configured,
      namespaceOverrides: cfg.namespaceOverrides ?? [],
      exemptions,
      annotationExemptions: {
        enabled: cfg.annotationExemptions?.enabled ?? true,
        maxDuration,
        maxDurationMs: parsed.ok ? Number(parsed.nanos / 1_000_000n) : 0,
        forbiddenPolicies: cfg.annotationExemptions?.forbiddenPolicies ?? ['schema'],
      },
    },
  };
}
