import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO = join(__dirname, '../..');

export interface ScriptRun<Result> {
  code: number | null;
  output: string;
  result?: Result;
}

/**
 * Runs `node <script>` with `env` and a result file, bounded in time: SIGTERM at the timeout (the scripts stop the
 * server they started on it), SIGKILL ten seconds later.
 */
export function runScript<Result>(
  script: string,
  env: Record<string, string>,
  resultVariable: string,
  timeoutMs: number,
): Promise<ScriptRun<Result>> {
  const dir = mkdtempSync(join(tmpdir(), 'meshguard-script-'));
  const resultFile = join(dir, 'result.json');
  const child = spawn(process.execPath, [join(REPO, script)], {
    env: { ...process.env, ...env, [resultVariable]: resultFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
  let killer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    output += `\n[test] ${script} ran past ${timeoutMs} ms: SIGTERM\n`;
    child.kill('SIGTERM');
    killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  }, timeoutMs);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      clearTimeout(killer);
      let result: Result | undefined;
      try {
        result = JSON.parse(readFileSync(resultFile, 'utf8')) as Result;
      } catch {
        // no result: the output says why
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, output, result });
    });
  });
}
