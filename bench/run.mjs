// `npm run bench` (after `npm run build`): every section in order, or the ones named, e.g.
//   node bench/run.mjs engine cold-start      BENCH_ONLY=https node bench/run.mjs
// To add a section: write bench/<name>.mjs with a default export { id, title, run } (see lib/section.mjs) and list it
// here.
import cliCheck from './cli-check.mjs';
import clusterCache from './cluster-cache.mjs';
import coldStart from './cold-start.mjs';
import engine from './engine.mjs';
import httpsLoad from './https-load.mjs';
import { runSections } from './lib/runner.mjs';

const SECTIONS = [engine, httpsLoad, coldStart, cliCheck, clusterCache];

const wanted = [...process.argv.slice(2), ...(process.env.BENCH_ONLY ?? '').split(',')]
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = wanted.filter((w) => !SECTIONS.some((s) => s.id === w));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown section ${unknown.join(', ')}; the sections are ${SECTIONS.map((s) => s.id).join(', ')}\n`,
  );
  process.exit(2);
}
process.exitCode = await runSections(wanted.length > 0 ? SECTIONS.filter((s) => wanted.includes(s.id)) : SECTIONS);
