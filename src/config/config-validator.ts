import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { default as Ajv, Options, ValidateFunction } from 'ajv';
import type { AnyPolicy } from '../engine/policy';
import { requireGenerated } from '../generated-code';
import { packageRoot } from '../package-root';
import { configSchema } from './config-schema';

/**
 * Written by `npm run build` (scripts/generate-config-validator.mjs): ajv standalone code for the configuration
 * schema of the built-in policy registry. Compiling that schema with ajv takes ~200 ms, most of `serve`'s start-up.
 */
export const PRECOMPILED_CONFIG_VALIDATOR = 'schemas/generated/config-validator.js';

export interface PrecompiledConfigValidator {
  /** configSchemaHash() of the schema it was compiled from. */
  schemaHash: string;
  validate: ValidateFunction;
}

/** Identifies a configuration schema, so a precompiled validator is only used for the schema it was built from. */
export function configSchemaHash(schema: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/**
 * The ajv the configuration is validated with, also used by the generator: the messages load-config.ts builds read
 * `data` and `parentSchema`, which only `verbose` provides, so both must compile with the same options.
 * Required here rather than imported: the precompiled validator does not need the ajv compiler loaded.
 */
export function configAjv(options: Options = {}): Ajv {
  const { default: AjvClass } = require('ajv') as typeof import('ajv');
  const { default: addFormats } = require('ajv-formats') as typeof import('ajv-formats');
  const ajv = new AjvClass({ allErrors: true, strict: false, verbose: true, ...options });
  addFormats(ajv, ['date-time']);
  return ajv;
}

let precompiled: PrecompiledConfigValidator | null | undefined;

/** The build's precompiled validator; undefined when the build did not write one (tsc alone, without the script). */
export function loadPrecompiledConfigValidator(): PrecompiledConfigValidator | undefined {
  if (precompiled === undefined) {
    const file = join(packageRoot(), PRECOMPILED_CONFIG_VALIDATOR);
    precompiled = existsSync(file) ? (requireGenerated(file) as PrecompiledConfigValidator) : null;
  }
  return precompiled ?? undefined;
}

/**
 * The precompiled validator when it was built from this very schema; otherwise (a policy list other than the
 * registry's, as tests pass, or a build older than the code) the schema compiled now.
 */
export function chooseConfigValidator(
  schema: Record<string, unknown>,
  available: PrecompiledConfigValidator | undefined,
): ValidateFunction {
  if (available !== undefined && available.schemaHash === configSchemaHash(schema)) return available.validate;
  return configAjv().compile(schema);
}

const validators = new WeakMap<readonly AnyPolicy[], ValidateFunction>();

/** The configuration schema's validator for this policy list, chosen (or compiled) once per list. */
export function configValidator(policies: readonly AnyPolicy[]): ValidateFunction {
  let v = validators.get(policies);
  if (v === undefined) {
    v = chooseConfigValidator(configSchema(policies), loadPrecompiledConfigValidator());
    validators.set(policies, v);
  }
  return v;
}
