// Child processes the bench starts, and what it reads about them from /proc. Every child is registered, so it is
// killed when its section ends, when the bench fails, and when the bench itself is interrupted or exits.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';

const children = new Set();
let hooked = false;

function killAllNow() {
  for (const child of children) {
    try {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      killAllNow();
      process.exit(130);
    });
  }
}

let tasksetChecked;
/** `taskset -c CPU` in front of a command when taskset exists and the CPU is one this process may use. */
export function pinned(cpu, command, args) {
  if (tasksetChecked === undefined) {
    try {
      execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
      tasksetChecked = true;
    } catch {
      tasksetChecked = false;
    }
  }
  if (!tasksetChecked || cpu === undefined || cpu === '') return { command, args };
  return { command: 'taskset', args: ['-c', String(cpu), command, ...args] };
}

export function hasTaskset() {
  pinned(undefined, 'true', []);
  return tasksetChecked;
}

/**
 * Starts a registered child. stdout goes to /dev/null unless `stdout: 'pipe'`; the last 8 KiB of stderr are kept for
 * error messages. taskset execs the command, so the pid is the command's own.
 */
export function startChild(command, args, { cpu, stdout = 'null', env, cwd } = {}) {
  hookExit();
  const p = pinned(cpu, command, args);
  const devNull = stdout === 'null' ? openSync('/dev/null', 'w') : undefined;
  const child = spawn(p.command, p.args, {
    stdio: ['ignore', devNull ?? 'pipe', 'pipe'],
    env: env ? { ...process.env, ...env } : process.env,
    cwd,
  });
  if (devNull !== undefined) closeSync(devNull);
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-8192);
  });
  child.stderrTail = () => stderr;
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      children.delete(child);
      stderr += `\n${err.message}`;
      resolve({ code: -1, signal: null, error: err });
    });
  });
  return child;
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stopChild(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exited;
  try {
    child.kill('SIGTERM');
  } catch {
    // gone
  }
  const timer = setTimeout(() => {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone
    }
  }, graceMs);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

/** Runs a registered child to its end and returns its stdout (and stderr tail); fails on a non-zero exit. */
export async function runChild(command, args, options = {}) {
  const child = startChild(command, args, { ...options, stdout: 'pipe' });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d.toString();
  });
  const timeout = options.timeoutMs
    ? setTimeout(() => {
        try {
          child.kill('SIGKILL');
        } catch {
          // gone
        }
      }, options.timeoutMs)
    : undefined;
  const { code, signal } = await child.exited;
  clearTimeout(timeout);
  if (!(options.okCodes ?? [0]).includes(code))
    throw new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}: ${child.stderrTail().trim()}`);
  return { stdout: out, stderr: child.stderrTail() };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM (peak RSS) of a process in bytes, or undefined once it is gone. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number((status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm')) ?? [])[1]) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Polls a process's memory every `intervalMs`; stop() returns the largest VmRSS seen and the last VmHWM. */
export function watchMemory(pid, intervalMs = 100) {
  let maxRss = 0;
  let hwm = 0;
  const poll = () => {
    const m = memoryOf(pid);
    if (!m) return;
    maxRss = Math.max(maxRss, m.rss);
    hwm = Math.max(hwm, m.hwm);
  };
  poll();
  const timer = setInterval(poll, intervalMs);
  return {
    stop() {
      poll();
      clearInterval(timer);
      return { maxRss, hwm };
    },
  };
}

const CLK_TCK = 100;

/** CPU seconds (user + system) a process has used so far. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds used by this process's children that have exited and been reaped (cutime + cstime). */
export function reapedChildrenCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** Busy and total jiffies per CPU, from /proc/stat. */
export function cpuTimes() {
  const out = {};
  if (!existsSync('/proc/stat')) return out;
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = line.match(/^cpu(\d+)\s+(.*)$/);
    if (!m) continue;
    const v = m[2].split(/\s+/).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[m[1]] = { busy: total - idle, total };
  }
  return out;
}

/** Fraction of each CPU that was busy between two cpuTimes() readings. */
export function cpuBusyBetween(before, after) {
  const out = {};
  for (const [cpu, a] of Object.entries(after)) {
    const b = before[cpu];
    if (!b || a.total === b.total) continue;
    out[cpu] = (a.busy - b.busy) / (a.total - b.total);
  }
  return out;
}

/** One HTTPS request; resolves with status and body, never rejects on an HTTP status. */
export function httpsRequest(url, { method = 'GET', ca, body, headers = {}, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, agent: false, headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls GET `url` until it answers 200, at most every `intervalMs`; fails after `timeoutMs` or when `child` exits.
 * @returns the milliseconds (performance.now()) at which the 200 arrived
 */
export async function waitForOk(url, { ca, child, timeoutMs = 15000, intervalMs = 1 }) {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer yet';
  while (performance.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(
        `the server exited (${child.exitCode ?? child.signalCode}) before ${url} answered: ${child.stderrTail().trim()}`,
      );
    }
    try {
      const res = await httpsRequest(url, { ca, timeoutMs: Math.max(1, Math.min(2000, deadline - performance.now())) });
      if (res.status === 200) return performance.now();
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.code ?? err.message;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
