// The bench's Istio objects: bench/objects/{allowed,denied}/*.yaml, one object a file, a comment line on top.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, requirePackage } from './dist.mjs';

const { load } = requirePackage('js-yaml');

/**
 * @typedef {{ file: string, expect: 'allowed' | 'denied', kind: string, name: string, about: string,
 *   object: Record<string, unknown> }} BenchObject
 */

/** @returns {BenchObject[]} allowed objects first, each group sorted by file name. */
export function loadBenchObjects() {
  const out = [];
  for (const expect of ['allowed', 'denied']) {
    const dir = join(benchDir, 'objects', expect);
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      const text = readFileSync(join(dir, file), 'utf8');
      const object = load(text);
      const about = (text.match(/^#\s*(.*)$/m) ?? [])[1] ?? '';
      out.push({
        file: `${expect}/${file}`,
        expect,
        kind: object.kind,
        name: object.metadata?.name ?? '',
        about,
        object,
      });
    }
  }
  return out;
}
