import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeCacheFile, loadGenerated } from '../../src/generated-code';
import { packageRoot } from '../../src/package-root';

/** The built module, run by a plain node process: V8's code cache is only used in Node's main context. */
const BUILT = join(__dirname, '../../dist/src/generated-code.js');

function inNode(code: string): string {
  const r = spawnSync(process.execPath, ['-e', `const g = require(${JSON.stringify(BUILT)});\n${code}`], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

const load = (file: string) =>
  JSON.parse(
    inNode(`const r = g.loadGenerated(${JSON.stringify(file)}); console.log(JSON.stringify([r.cache, r.exports.f()]))`),
  ) as [string, number];

describe("generated modules through V8's code cache", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshguard-code-cache-'));
    file = join(dir, 'generated.js');
    writeFileSync(file, '"use strict";exports.f = function f() { return 42; };');
    inNode(`g.writeCodeCache(${JSON.stringify(file)}, (m) => m.f())`);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are compiled from the cache the build wrote', () => {
    expect(load(file)).toEqual(['used', 42]);
  });

  it('are compiled from source when the cache was made from another source, even of the same length', () => {
    writeFileSync(file, '"use strict";exports.f = function f() { return 43; };');
    expect(load(file)).toEqual(['stale', 43]);
  });

  it('are compiled from source when V8 refuses the cache', () => {
    const cache = readFileSync(codeCacheFile(file));
    writeFileSync(codeCacheFile(file), Buffer.concat([cache.subarray(0, 32), Buffer.alloc(cache.length - 32, 7)]));
    expect(load(file)).toEqual(['rejected', 42]);
  });

  it('are required as usual without a cache', () => {
    unlinkSync(codeCacheFile(file));
    expect(load(file)).toEqual(['absent', 42]);
  });

  it('are required as usual outside the main context (jest), where the script would build objects of another realm', () => {
    const r = loadGenerated(file);
    expect(r.cache).toBe('not in the main context');
    expect((r.exports as { f(): number }).f()).toBe(42);
  });
});

it('the build writes a code cache that V8 takes for each generated validator module', () => {
  const generated = join(packageRoot(), 'schemas/generated');
  const used = inNode(
    `console.log(['validators.js', 'validators-strict.js', 'config-validator.js'].map((f) => g.loadGenerated(${JSON.stringify(generated)} + '/' + f).cache).join(' '))`,
  );
  expect(used).toBe('used used used');
});
