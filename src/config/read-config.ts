import { readFileSync } from 'node:fs';
import type { AnyPolicy } from '../engine/policy';
import type { KindRegistry } from '../schema/kind-registry';
import type { EngineConfig } from './engine-config';
import { formatConfigError, loadConfig } from './load-config';

export class ConfigLoadError extends Error {
  constructor(readonly lines: string[]) {
    super(`invalid meshguard configuration:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  }
}

/**
 * The configuration in force: the file when one is given, else the embedded default (every policy at its default
 * action and parameters), so `meshguard serve` and `meshguard check` are useful with no file at all.
 */
export function readConfig(
  file: string | undefined,
  policies: readonly AnyPolicy[],
  kinds: KindRegistry,
): EngineConfig {
  let text = '';
  const name = file ?? '<embedded default>';
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigLoadError([`${file}: cannot read the configuration: ${(err as Error).message}`]);
    }
  }
  const result = loadConfig(text, name, policies, kinds);
  if (!result.ok) throw new ConfigLoadError(result.errors.map(formatConfigError));
  return result.config;
}
