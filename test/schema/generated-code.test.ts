import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeCacheFile as cacheFileFor, loadGenerated, nodeFlagsKey } from '../../src/generated-code';
import { packageRoot } from '../../src/package-root';

/** The cache file of a plain `node` (no options), which inNode() runs. */
const codeCacheFile = (file: string) => cacheFileFor(file, 'default');

/** The built module, run by a plain node process: V8's code cache is only used in Node's main context. */
const BUILT = join(__dirname, '../../dist/src/generated-code.js');

function inNode(code: string): string {
  const { NODE_OPTIONS: _none, ...env } = process.env;
  const r = spawnSync(process.execPath, ['-e', `const g = require(${JSON.stringify(BUILT)});\n${code}`], {
    encoding: 'utf8',
    env,
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

  it('are cached per set of Node options, since V8 refuses a cache made under other flags', () => {
    expect(nodeFlagsKey([], '')).toBe('default');
    expect(nodeFlagsKey(['-e', 'code'], '')).toBe('default');
    const small = nodeFlagsKey([], '--max-semi-space-size=2');
    expect(small).toMatch(/^[0-9a-f]{16}$/);
    expect(nodeFlagsKey(['--max-semi-space-size=2'], '')).toBe(small);
    expect(nodeFlagsKey([], '--max-semi-space-size=4')).not.toBe(small);
    // A process under other options finds no cache of its own and compiles the module as usual.
    const r = spawnSync(
      process.execPath,
      [
        '--max-semi-space-size=2',
        '-e',
        `const g = require(${JSON.stringify(BUILT)});
      const r = g.loadGenerated(${JSON.stringify(file)}); console.log(JSON.stringify([r.cache, r.exports.f()]))`,
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(r.stdout)).toEqual(['absent', 42]);
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

it("the build also writes one for the image's NODE_OPTIONS and node flags, which the image and the bench start meshguard with", () => {
  const { stage } = JSON.parse(
    spawnSync(process.execPath, [join(packageRoot(), 'scripts/runtime-stage-check.mjs'), '--print-stage'], {
      encoding: 'utf8',
    }).stdout,
  ) as { stage: { env: Record<string, string>; entrypoint: string[] } };
  const nodeOptions = stage.env.NODE_OPTIONS ?? '';
  const flags = stage.entrypoint.slice(1, stage.entrypoint.indexOf('dist/src/cli/main.js'));
  expect(nodeOptions).not.toBe('');
  const validators = join(packageRoot(), 'schemas/generated/validators.js');
  const r = spawnSync(
    process.execPath,
    [
      ...flags,
      '-e',
      `console.log(require(${JSON.stringify(BUILT)}).loadGenerated(${JSON.stringify(validators)}).cache)`,
    ],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: nodeOptions } },
  );
  expect(r.stdout.trim()).toBe('used');
});
