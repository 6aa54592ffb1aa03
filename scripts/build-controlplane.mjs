#!/usr/bin/env node
// Builds the control plane the end-to-end tests run (test/e2e/controlplane: kube-apiserver and etcd in one binary,
// from the Go modules Kubernetes is built from) and caches it outside the repository, keyed by the hash of go.sum:
//
//   ~/.cache/meshguard/controlplane/<sha256 of go.sum>/controlplane
//   ~/.cache/meshguard/controlplane/<sha256 of go.sum>/build.json   how it was built, how long it took
//
// The first build compiles most of Kubernetes: about 11 to 12 minutes and 2 GB of memory on two cores (docs/e2e.md
// has the measured figures); later runs find the binary and return in about a second. A cached binary is used only
// when the recipe it was built with (go.mod, main.go, flags) is the current one, and only after it has reported the
// Kubernetes and etcd versions go.mod pins.
//
//   node scripts/build-controlplane.mjs           build if needed; prints {"controlplane": "...", ...} on stdout
//   node scripts/build-controlplane.mjs --check   never build: exit 1 with a hint when nothing is cached
//   MESHGUARD_CONTROLPLANE=/path/to/controlplane  use that binary instead (still version-checked)
//   MESHGUARD_CONTROLPLANE_CACHE=/some/dir        cache there instead of ~/.cache/meshguard/controlplane
//   MESHGUARD_CONTROLPLANE_BUILD_TIMEOUT_MIN=45   give up (and kill the build) after this many minutes
//
// Parallel callers take a lock directory, so one build happens; the binary appears by rename, never half-written.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const MODULE_DIR = join(REPO_ROOT, 'test/e2e/controlplane');
const BINARY = 'controlplane';
const DEFAULT_TIMEOUT_MIN = 45;
const LOCK_WAIT_MS = 60 * 60 * 1000;

function log(message) {
  process.stderr.write(`build-controlplane: ${message}\n`);
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const read = (name) => readFileSync(join(MODULE_DIR, name));

/** The versions go.mod pins: what the binary must report. */
export function pinnedVersions() {
  const gomod = read('go.mod').toString();
  const version = (module) => {
    const m = gomod.match(new RegExp(`^\\s*(?:require\\s+)?${module.replace(/[./]/g, '\\$&')}\\s+(v\\S+)`, 'm'));
    if (!m) throw new Error(`${MODULE_DIR}/go.mod does not require ${module}`);
    return m[1];
  };
  return { kubernetes: version('k8s.io/kubernetes'), etcd: version('go.etcd.io/etcd/server/v3') };
}

/**
 * The go build flags. The -X flags stamp the release into k8s.io/component-base/version, so /version and
 * `kubectl version` report v1.33.x rather than the v0.0.0-master a plain module build reports.
 */
export function buildArgs(output) {
  const { kubernetes } = pinnedVersions();
  const [major, minor] = kubernetes.replace(/^v/, '').split('.');
  const pkg = 'k8s.io/component-base/version';
  const ldflags = [
    '-s',
    '-w',
    `-X ${pkg}.gitVersion=${kubernetes}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ].join(' ');
  return ['build', '-mod=readonly', '-buildvcs=false', '-trimpath', '-ldflags', ldflags, '-o', output, '.'];
}

/** What a cached binary must have been built from: go.mod, main.go and the flags (go.sum is the folder's name). */
function recipe() {
  return sha256(
    JSON.stringify({ gomod: sha256(read('go.mod')), main: sha256(read('main.go')), args: buildArgs(BINARY) }),
  );
}

export function cacheDir() {
  const base =
    process.env.MESHGUARD_CONTROLPLANE_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'meshguard', 'controlplane');
  return join(base, sha256(read('go.sum')));
}

function readBuildInfo(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

function cached(dir) {
  const info = readBuildInfo(dir);
  return existsSync(join(dir, BINARY)) && info?.recipe === recipe() ? info : undefined;
}

/** Runs both servers' --version and checks them against go.mod; throws when either is wrong. */
export function verify(binary) {
  const { kubernetes, etcd } = pinnedVersions();
  const run = (args) => {
    const r = spawnSync(binary, args, { encoding: 'utf8', timeout: 30_000 });
    if (r.error) throw new Error(`${binary} ${args.join(' ')}: ${r.error.message}`);
    return `${r.stdout}${r.stderr}`;
  };
  const apiserver = run(['kube-apiserver', '--version']);
  if (!apiserver.includes(`Kubernetes ${kubernetes}`)) {
    throw new Error(
      `${binary} kube-apiserver --version printed ${JSON.stringify(apiserver.trim())}, not ${kubernetes}`,
    );
  }
  const etcdOut = run(['etcd', '--version']);
  if (!etcdOut.includes(`etcd Version: ${etcd.replace(/^v/, '')}`)) {
    throw new Error(`${binary} etcd --version printed ${JSON.stringify(etcdOut.trim())}, not ${etcd}`);
  }
  return { kubernetes, etcd };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Takes the build lock; a lock whose owner process is gone is stale and removed. */
async function lock(dir) {
  const lockDir = `${dir}.lock`;
  mkdirSync(dirname(dir), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'owner'), `${process.pid}\n`);
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (cached(dir)) return undefined;
    let owner;
    try {
      owner = Number(readFileSync(join(lockDir, 'owner'), 'utf8'));
    } catch {
      owner = undefined;
    }
    const age = (() => {
      try {
        return Date.now() - statSync(lockDir).mtimeMs;
      } catch {
        return 0;
      }
    })();
    if ((owner && !alive(owner)) || (!owner && age > 60_000)) {
      log(`removing the stale lock ${lockDir}`);
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}; remove it if no build is running`);
    if (!announced) log(`another build holds ${lockDir} (pid ${owner}); waiting for it`);
    announced = true;
    await sleep(2000);
  }
}

function goVersion() {
  try {
    return execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8', timeout: 60_000 }).trim();
  } catch (err) {
    throw new Error(
      `go is needed to build the end-to-end control plane (Go 1.24 or later on PATH): ${err.message.split('\n')[0]}`,
    );
  }
}

/** `go build` in its own process group, killed whole when it overruns; resolves with the measured figures. */
function goBuild(output, timeoutMs) {
  const args = buildArgs(output);
  // GNU time reports the peak resident memory of the largest process of the build (the linker, usually).
  const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const rssFile = `${output}.rss`;
  const [command, argv] = time ? [time, ['-f', '%M', '-o', rssFile, 'go', ...args]] : ['go', args];
  log(`cd ${MODULE_DIR} && go ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // go's work folder beside the output, so that a killed build leaves nothing behind in /tmp.
    const gotmp = `${output}.tmp`;
    mkdirSync(gotmp, { recursive: true });
    const child = spawn(command, argv, {
      cwd: MODULE_DIR,
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOTMPDIR: gotmp },
    });
    const minutes = setInterval(
      () => log(`still building (${Math.round((Date.now() - started) / 60_000)} min)`),
      60_000,
    );
    const timer = setTimeout(() => {
      log(`the build has run ${timeoutMs / 60_000} min: killing it`);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    const stopOnSignal = (signal) => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', stopOnSignal);
    process.once('SIGTERM', stopOnSignal);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(minutes);
      clearTimeout(timer);
      process.off('SIGINT', stopOnSignal);
      process.off('SIGTERM', stopOnSignal);
      rmSync(gotmp, { recursive: true, force: true });
      const seconds = Math.round((Date.now() - started) / 1000);
      let peakRssMB;
      try {
        peakRssMB = Math.round(Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024);
        rmSync(rssFile, { force: true });
      } catch {}
      if (code === 0) resolve({ seconds, peakRssMB });
      else reject(new Error(`go build failed (${signal ?? `exit ${code}`}) after ${seconds} s`));
    });
  });
}

function formatSeconds(s) {
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

async function build(dir) {
  const go = goVersion();
  const timeoutMin = Number(process.env.MESHGUARD_CONTROLPLANE_BUILD_TIMEOUT_MIN ?? DEFAULT_TIMEOUT_MIN);
  log(`building kube-apiserver and etcd with ${go} (the first build takes 10 to 20 minutes on two cores)`);
  mkdirSync(dir, { recursive: true });
  const partial = join(dir, `${BINARY}.partial-${process.pid}`);
  try {
    const measured = await goBuild(partial, timeoutMin * 60_000);
    const versions = verify(partial);
    const info = {
      recipe: recipe(),
      goSum: sha256(read('go.sum')),
      go,
      ...versions,
      builtAt: new Date().toISOString(),
      seconds: measured.seconds,
      peakRssMB: measured.peakRssMB,
    };
    renameSync(partial, join(dir, BINARY));
    writeFileSync(join(dir, 'build.json'), `${JSON.stringify(info, null, 2)}\n`);
    const rss = measured.peakRssMB ? `, peak RSS ${measured.peakRssMB} MB` : '';
    log(`built in ${formatSeconds(measured.seconds)}${rss}: ${join(dir, BINARY)}`);
    return info;
  } finally {
    rmSync(partial, { force: true });
  }
}

/** Path and versions of the control plane binary, building it first unless `checkOnly`. */
export async function ensureControlPlane({ checkOnly = false } = {}) {
  const override = process.env.MESHGUARD_CONTROLPLANE;
  if (override) return { controlplane: override, ...verify(override) };
  const dir = cacheDir();
  const started = Date.now();
  let info = cached(dir);
  const hit = info !== undefined;
  if (!hit) {
    if (checkOnly) {
      throw new Error(
        `no control plane cached in ${dir}: run \`node scripts/build-controlplane.mjs\` (or \`npm run test:e2e\`) first`,
      );
    }
    const unlock = await lock(dir);
    try {
      info = cached(dir) ?? (await build(dir));
    } finally {
      unlock?.();
    }
  }
  const binary = join(dir, BINARY);
  const versions = verify(binary);
  if (hit) {
    const how = info.seconds === undefined ? '' : ` in ${formatSeconds(info.seconds)}`;
    log(
      `cached (built ${info.builtAt}${how}): kube-apiserver ${versions.kubernetes}, etcd ${versions.etcd}; checked in ${Date.now() - started} ms`,
    );
  }
  return { controlplane: binary, ...versions };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const result = await ensureControlPlane({ checkOnly: process.argv.includes('--check') });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    log(err.message);
    process.exit(1);
  }
}
