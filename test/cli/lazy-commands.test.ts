import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../support/cli';

/**
 * Each command requires only its own code: `serve` starts faster without the checker's, and `check` in CI does not
 * load a web server. Runs the built CLI with a hook that prints, at exit, the packages and build files it loaded.
 */
const LOADED_MARK = 'LOADED-MODULES ';
const probe = `
  process.argv = [process.argv[0], ${JSON.stringify(CLI)}, ...process.argv.slice(1)];
  process.on('exit', () => {
    const names = Object.keys(require.cache).map((f) => {
      const pkg = f.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/);
      return pkg ? pkg[1] : f;
    });
    process.stderr.write(${JSON.stringify(LOADED_MARK)} + JSON.stringify([...new Set(names)]) + '\\n');
  });
  require(${JSON.stringify(CLI)});
`;

const loadedBy = (stderr: string): string[] => {
  const line = stderr.split('\n').find((l) => l.startsWith(LOADED_MARK));
  if (line === undefined) throw new Error(`no module list; stderr:\n${stderr}`);
  return JSON.parse(line.slice(LOADED_MARK.length)) as string[];
};

const SERVER_PACKAGES = ['fastify', 'pino', 'prom-client', '@peculiar/x509'];
const CHECK_FILES = ['cli/check/run-check.js', 'cli/check/format-sarif.js', 'cli/check/discover-inputs.js'];
const builtFile = (loaded: string[], file: string) => loaded.some((f) => f.endsWith(join('dist/src', file)));

it('meshguard --help loads neither the server, the checker nor the policies', () => {
  const r = spawnSync(process.execPath, ['-e', probe, '--', '--help'], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('Commands:');
  const loaded = loadedBy(r.stderr);
  expect(loaded.filter((p) => SERVER_PACKAGES.includes(p))).toEqual([]);
  expect(CHECK_FILES.filter((f) => builtFile(loaded, f))).toEqual([]);
  expect(loaded.some((f) => f.endsWith(join('dist/policies/index.js')))).toBe(false);
});

it('meshguard check loads no server package', () => {
  const objects = join(__dirname, '../../bench/objects/allowed');
  const r = spawnSync(process.execPath, ['-e', probe, '--', 'check', objects], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(0);
  const loaded = loadedBy(r.stderr);
  expect(builtFile(loaded, 'cli/check/run-check.js')).toBe(true);
  expect(loaded.filter((p) => SERVER_PACKAGES.includes(p))).toEqual([]);
});

let certs: string;
beforeAll(() => {
  certs = mkdtempSync(join(tmpdir(), 'meshguard-lazy-'));
});
afterAll(() => rmSync(certs, { recursive: true, force: true }));

it('meshguard serve loads none of the checker and no offline validator', async () => {
  const child = spawn(
    process.execPath,
    ['-e', probe, '--', 'serve', '--host', '127.0.0.1', '--port', '0', '--no-metrics', '--dev-cert-dir', certs],
    { stdio: 'pipe' },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in time; stderr:\n${stderr}`)), 30_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('meshguard ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const loaded = loadedBy(stderr);
  expect(loaded).toContain('fastify');
  // Fastify's schema compilers: no route declares a schema (src/server/schema-compilers.ts).
  expect(loaded.filter((p) => p.startsWith('@fastify/') && p.endsWith('-compiler'))).toEqual([]);
  expect(CHECK_FILES.filter((f) => builtFile(loaded, f))).toEqual([]);
  expect(loaded.some((f) => f.endsWith('schemas/generated/validators-strict.js'))).toBe(false);
});
