// Where the built meshguard lives, and a require() for its CommonJS output.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entrypointNodeFlags, runtimeStage } from '../../scripts/runtime-stage-check.mjs';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const benchDir = join(repoRoot, 'bench');
/** The `meshguard` binary as the package installs it. */
export const cliMain = join(repoRoot, 'dist/src/cli/main.js');

const require = createRequire(import.meta.url);

/** Requires a module of the build, e.g. `requireDist('engine/evaluate')`. */
export function requireDist(modulePath) {
  const file = join(repoRoot, 'dist/src', `${modulePath}.js`);
  if (!existsSync(file))
    throw new Error(`${file} is missing: build first (\`npm run bench\` builds, \`npm run build\` alone too)`);
  return require(file);
}

/** A package from the repository's node_modules (so the bench uses the very versions meshguard does). */
export function requirePackage(name) {
  return require(name);
}

/**
 * The engine context `meshguard serve` builds (see src/server/start-server.ts): the Istio schemas, webhook mode, and
 * the policy configuration (the embedded default, or BENCH_CONFIG when set, as `serve --config` would read it).
 */
export function webhookEngineContext() {
  const { IstioSchemas } = requireDist('schema/istio-schemas');
  const started = performance.now();
  const schemas = IstioSchemas.load();
  const schemaLoadMs = performance.now() - started;
  const { readConfig } = requireDist('config/read-config');
  const { policies } = require(join(repoRoot, 'dist/policies/index.js'));
  const config = readConfig(process.env.BENCH_CONFIG || undefined, policies, schemas.registry);
  return { ctx: { schemas, mode: 'webhook', config }, schemaLoadMs };
}

/** Extra `serve` arguments: `--config BENCH_CONFIG` when set, then BENCH_SERVE_ARGS split on spaces. */
export function serveExtraArgs() {
  const extra = (process.env.BENCH_SERVE_ARGS ?? '').split(' ').filter(Boolean);
  return [...(process.env.BENCH_CONFIG ? ['--config', process.env.BENCH_CONFIG] : []), ...extra];
}

/** The Dockerfile's runtime stage: its ENV lines and ENTRYPOINT, which the bench starts meshguard with. */
function imageRuntime() {
  return runtimeStage(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
}

/**
 * Node flags for meshguard's process: those of the image's ENTRYPOINT (`node <flags> dist/src/cli/main.js`), or
 * BENCH_NODE_ARGS (split on spaces) instead when it is set, e.g. `--max-semi-space-size=4`.
 */
export function meshguardNodeArgs() {
  if (process.env.BENCH_NODE_ARGS !== undefined) return process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean);
  return entrypointNodeFlags(imageRuntime().entrypoint);
}

/**
 * `node … meshguard serve` as the bench runs it: on 127.0.0.1 with the given certificate, the metrics listener on
 * (as in production), logging at info, then BENCH_NODE_ARGS before the script and serveExtraArgs() after it.
 */
export function meshguardServeArgs({ port, metricsPort, certs }) {
  return [
    ...meshguardNodeArgs(),
    cliMain,
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--cert',
    certs.certFile,
    '--key',
    certs.keyFile,
    '--metrics-host',
    '127.0.0.1',
    '--metrics-port',
    String(metricsPort),
    '--log-level',
    'info',
    ...serveExtraArgs(),
  ];
}

/**
 * The environment the image starts meshguard with: the ENV lines of the Dockerfile's runtime stage (NODE_ENV,
 * NODE_OPTIONS, ...), less the certificate paths, which the bench passes as flags. So the bench measures the server
 * as it ships. BENCH_NODE_OPTIONS, when set, replaces NODE_OPTIONS (set it empty for none).
 */
export function meshguardEnv() {
  const { env } = imageRuntime();
  const out = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('MESHGUARD_TLS_')));
  if (process.env.BENCH_NODE_OPTIONS !== undefined) out.NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS;
  return out;
}
