// Section: `meshguard check` throughput. Generates N objects (default 10,000) from bench/objects into a temporary
// folder, 100 documents per file, and times the real CLI checking them (JSON output to /dev/null).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliMain, repoRoot } from './lib/dist.mjs';
import { runChild } from './lib/processes.mjs';
import { envNumber, target } from './lib/report.mjs';
import { runIfMain } from './lib/section.mjs';

function templates() {
  const base = join(repoRoot, 'bench/objects');
  return ['allowed', 'denied'].flatMap((d) =>
    readdirSync(join(base, d))
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => readFileSync(join(base, d, f), 'utf8').replace(/^#.*\n/gm, '')),
  );
}

/** N objects with unique names, `perFile` documents per file, 100 files per folder. */
function generate(dir, n, perFile) {
  const t = templates();
  let docs = [];
  let file = 0;
  const flush = () => {
    const folder = join(dir, `d${String(Math.floor(file / 100)).padStart(3, '0')}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `f${String(file++).padStart(5, '0')}.yaml`), docs.join('---\n'));
    docs = [];
  };
  for (let i = 0; i < n; i++) {
    docs.push((t[i % t.length] ?? '').replace(/^( {2}name: )(\S+)/m, `$1$2-${i}`));
    if (docs.length === perFile) flush();
  }
  if (docs.length > 0) flush();
}

const section = {
  id: 'cli',
  title: '`meshguard check` on a folder of Istio objects',
  async run() {
    const n = envNumber('BENCH_CLI_OBJECTS', 10000);
    const perFile = envNumber('BENCH_CLI_PER_FILE', 100);
    const dir = mkdtempSync(join(tmpdir(), 'meshguard-bench-cli-'));
    try {
      generate(dir, n, perFile);
      const started = performance.now();
      // Exit 1 is expected: a third of the objects are denied.
      await runChild(process.execPath, [cliMain, 'check', '-o', 'json', dir], { timeoutMs: 300000, okCodes: [0, 1] });
      const seconds = (performance.now() - started) / 1000;
      const perSecond = n / seconds;
      return {
        tables: [
          {
            columns: ['objects', 'files', 'seconds (wall, incl. start-up)', 'objects/s'],
            rows: [[n, Math.ceil(n / perFile), seconds, perSecond]],
          },
        ],
        notes: ['Thousands of objects per second is the target (issue 4); start-up (~0.35 s) is included.'],
        targets: [target('objects per second', perSecond, { atLeast: 1000 })],
        data: { objects: n, seconds, objectsPerSecond: perSecond },
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default section;

await runIfMain(import.meta.url, section);
