import type { default as Ajv, ErrorObject, ValidateFunction } from 'ajv';
import type { KubeObject } from '../admission/types';
import { type AnyPolicy, definePolicy, type PolicyFinding } from '../engine/policy';
import { field, formatPath } from '../schema/field-path';
import type { KindRegistry } from '../schema/kind-registry';
import { envelopeSchema, pointerToSegments } from '../schema/structural-errors';
import type { SchemaPolicyDefinition } from './types';

let ajv: Ajv | undefined;
function schemaPolicyAjv(): Ajv {
  if (ajv === undefined) {
    // Required here: most configurations declare no schema policy, and the ajv compiler is slow to load.
    const { default: AjvClass } = require('ajv') as typeof import('ajv');
    const { default: addFormats } = require('ajv-formats') as typeof import('ajv-formats');
    // strict: a misspelt keyword in a platform team's schema is a load error, not a rule that silently passes.
    ajv = new AjvClass({
      allErrors: true,
      strict: true,
      strictTypes: false,
      strictRequired: false,
      allowUnionTypes: true,
    });
    addFormats(ajv);
  }
  return ajv;
}

export function compileSchemaPolicySchema(
  schema: Record<string, unknown>,
): { ok: true; validate: ValidateFunction } | { ok: false; error: string } {
  try {
    return { ok: true, validate: schemaPolicyAjv().compile(schema) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required':
      return 'is required but missing';
    case 'enum':
      return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return e.message ?? 'does not match the rule';
  }
}

/** A configuration-declared policy: a JSON Schema over the whole object, reported like any coded policy. */
export function schemaPolicy(def: SchemaPolicyDefinition, validate: ValidateFunction, kinds: KindRegistry): AnyPolicy {
  // The kind's schema tells map keys (`metadata.labels[team]`) from fields when paths are printed.
  const envelopes = new Map(
    def.kinds.map((k) => [
      `${k.group}/${k.kind}`,
      envelopeSchema(kinds.kinds.find((x) => x.group === k.group && x.kind === k.kind)?.schema ?? {}),
    ]),
  );
  return definePolicy<Record<string, unknown>>({
    id: def.id,
    summary: def.summary ?? def.message,
    appliesTo: def.kinds,
    defaultAction: def.action ?? 'deny',
    defaults: {},
    paramsSchema: { type: 'object', additionalProperties: false },
    check(object: KubeObject): PolicyFinding[] {
      // Not used as a type guard: the object keeps its KubeObject type either way.
      if (validate(object as unknown) === true) return [];
      const [group] = String(object.apiVersion ?? '').split('/');
      const envelope = envelopes.get(`${group}/${String(object.kind)}`) ?? {};
      const seen = new Set<string>();
      const out: PolicyFinding[] = [];
      for (const e of validate.errors ?? []) {
        const segments = pointerToSegments(e.instancePath, object, envelope);
        if (e.keyword === 'required') segments.push(field(String(e.params.missingProperty)));
        const path = formatPath(segments);
        const message = `${describe(e)}; ${def.message}`;
        if (seen.has(path + message)) continue;
        seen.add(path + message);
        out.push(def.hint ? { path, message, hint: def.hint } : { path, message });
      }
      return out;
    },
  });
}
