// What a bench section is, and how one is run on its own.
//
// A section is a module whose default export is
//   { id: 'engine', title: 'Engine only', run: async () => ({ tables, notes, targets, data }) }
// where tables are renderTable() tables, notes are lines printed under them, targets come from target(), and data is
// what goes into the BENCH_JSON line under the section's id. run() must not assert timings, and must stop every
// process it started (lib/processes.mjs does that for children started with startChild, also on failure).
import { pathToFileURL } from 'node:url';
import { runSections } from './runner.mjs';

/** `node bench/<section>.mjs` runs that section alone, with the same output as in `npm run bench`. */
export async function runIfMain(importMetaUrl, section) {
  if (!process.argv[1] || importMetaUrl !== pathToFileURL(process.argv[1]).href) return;
  process.exitCode = await runSections([section]);
}
