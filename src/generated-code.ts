import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/**
 * The generated modules (schemas/generated/*.js, megabytes of ajv code) are loaded through V8's code cache, which
 * the build writes beside each one: compiling validators.js costs `serve` about 20 ms of start-up, reading its
 * cached bytecode a third of that.
 *
 * V8 refuses a cache made by another V8 version or with other flags, but checks the source only by its length, so
 * the cache starts with the SHA-256 of the source it was made from; any doubt and the file is compiled as usual.
 */

/**
 * Which Node and V8 options this process runs with, as a file-name key: a cache made under other flags is refused
 * (the image runs with NODE_OPTIONS=--max-semi-space-size=2, a plain `node` without), so each set of flags has its
 * own cache file. `default` when there are none.
 */
export function nodeFlagsKey(execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string {
  // Long options only, and not the script of -e/--eval or -p/--print: those change no code V8 generates.
  const flags = [...execArgv, ...nodeOptions.split(/\s+/)]
    .filter((f) => f.startsWith('--') && !/^--(eval|print)\b/.test(f))
    .sort();
  return flags.length === 0 ? 'default' : createHash('sha256').update(flags.join(' ')).digest('hex').slice(0, 16);
}

export const codeCacheFile = (file: string, flagsKey = nodeFlagsKey()): string => `${file}.${flagsKey}.v8-cache`;

const DIGEST_BYTES = 32;

/** The CommonJS wrapper, as Node's own; the cache is only valid for the very same text. */
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;

const digest = (source: Buffer) => createHash('sha256').update(source).digest();

function run(script: Script, file: string): unknown {
  const generated = { exports: {} as unknown };
  const body = script.runInThisContext() as (...args: unknown[]) => void;
  body.call(generated.exports, generated.exports, createRequire(file), generated, file, dirname(file));
  return generated.exports;
}

/**
 * vm runs scripts in Node's main context. Under jest, modules run in a context of their own, where what the script
 * built would belong to another realm (`instanceof Array` false): there, plain require.
 */
const inMainContext = (): boolean => new Script('Array').runInThisContext() === Array;

export type CodeCacheUse = 'used' | 'rejected' | 'stale' | 'absent' | 'not in the main context';

const loaded = new Map<string, { exports: unknown; cache: CodeCacheUse }>();

/** `require(file)`, compiled from the build's code cache when that is valid for it. */
export function requireGenerated(file: string): unknown {
  return loadGenerated(file).exports;
}

/** requireGenerated(), saying whether the code cache served (for tests and benchmarks). */
export function loadGenerated(file: string): { exports: unknown; cache: CodeCacheUse } {
  let done = loaded.get(file);
  if (done === undefined) {
    done = load(file);
    loaded.set(file, done);
  }
  return done;
}

function load(file: string): { exports: unknown; cache: CodeCacheUse } {
  let cache: Buffer;
  try {
    cache = readFileSync(codeCacheFile(file));
  } catch {
    return { exports: require(file), cache: 'absent' };
  }
  if (!inMainContext()) return { exports: require(file), cache: 'not in the main context' };
  const source = readFileSync(file);
  if (cache.length <= DIGEST_BYTES || !digest(source).equals(cache.subarray(0, DIGEST_BYTES)))
    return { exports: require(file), cache: 'stale' };
  const script = new Script(wrap(source.toString('utf8')), {
    filename: file,
    cachedData: cache.subarray(DIGEST_BYTES),
  });
  return { exports: run(script, file), cache: script.cachedDataRejected ? 'rejected' : 'used' };
}

/**
 * Writes `file`'s code cache (run by `npm run build`, with the Node that will run meshguard), after running the
 * module's top level. `warm` runs what start-up will run, so the functions it compiles are in the cache too; the
 * others are compiled when first called, as without a cache.
 */
export function writeCodeCache(file: string, warm?: (exports: unknown) => void): number {
  const source = readFileSync(file);
  const script = new Script(wrap(source.toString('utf8')), { filename: file });
  const moduleExports = run(script, file);
  warm?.(moduleExports);
  const data = Buffer.concat([digest(source), script.createCachedData()]);
  writeFileSync(codeCacheFile(file), data);
  return data.length;
}
