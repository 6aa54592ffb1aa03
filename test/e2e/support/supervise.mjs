// node supervise.mjs COMMAND [ARGS...]: runs COMMAND and ties its life to whoever started this script.
//
// The end-to-end harness starts etcd, kube-apiserver and meshguard through it, with a pipe on its standard input.
// When the harness goes away in any way (a failed test, Ctrl-C, a CI timeout, SIGKILL), the pipe closes and COMMAND
// is killed: no server outlives the test run. Jest gives tests a copy of `process` whose exit and signal handlers
// never fire, so this cannot be done from inside the test process. SIGTERM and SIGINT are passed on to COMMAND, and
// this script exits as COMMAND did.
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: node supervise.mjs COMMAND [ARGS...]\n');
  process.exit(2);
}

const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
const kill = (signal) => {
  try {
    child.kill(signal);
  } catch {}
};

process.stdin.on('end', () => kill('SIGKILL'));
process.stdin.on('close', () => kill('SIGKILL'));
process.stdin.on('error', () => kill('SIGKILL'));
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => kill(signal));

child.on('error', (err) => {
  process.stderr.write(`supervise: ${command}: ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : 15));
});
