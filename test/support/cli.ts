import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { policies } from '../../policies';

/** The built CLI, run as users run it (`npm test` builds first). */
export const CLI = join(__dirname, '../../dist/src/cli/main.js');

export function runCli(args: string[], options: { input?: string; cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: options.input,
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a long-running CLI command and resolves once its stderr matches `ready`, bounded in time. */
export function startCli(
  args: string[],
  ready: RegExp,
  timeoutMs = 20_000,
): Promise<{ child: ChildProcessWithoutNullStreams; match: RegExpMatchArray; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: 'pipe' });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ${ready} within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.stdout.resume();
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const match = stderr.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, stderr: () => stderr });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready; stderr:\n${stderr}`));
    });
  });
}

export function waitForExit(child: ChildProcessWithoutNullStreams, timeoutMs = 10_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error('process did not exit in time')), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * Writes `<dir>/focused.yaml`, a configuration with only `schema` and `mtls-mode` on, so that the CLI fixtures'
 * verdicts do not move as policies are added; returns its path.
 */
export function writeFocusedConfig(dir: string): string {
  const file = join(dir, 'focused.yaml');
  const others = policies.filter((p) => p.id !== 'schema' && p.id !== 'mtls-mode');
  writeFileSync(
    file,
    others.length === 0
      ? 'policies: {}\n'
      : `policies:\n${others.map((p) => `  ${p.id}:\n    action: "off"\n`).join('')}`,
  );
  return file;
}
