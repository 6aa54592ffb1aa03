import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The folder holding package.json. Code runs from `src/` under jest and from `dist/src/` once built, so the
 * depth differs; walking up keeps one answer for both and for the Docker image.
 */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`meshguard: cannot find the package root above ${__dirname}`);
    dir = parent;
  }
}
