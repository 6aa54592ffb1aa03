// Runs sections one after another, prints each as it finishes, and ends with the BENCH_JSON line.
import { cpus, loadavg } from 'node:os';
import { renderTable, renderTargets, roundDeep } from './report.mjs';

function printSection(section, result, seconds) {
  const out = [`\n=== ${section.title} (${seconds.toFixed(1)} s) ===`];
  for (const table of result.tables ?? []) out.push('', renderTable(table));
  if (result.targets?.length) out.push('', renderTargets(result.targets));
  if (result.notes?.length) out.push('', ...result.notes.map((n) => `note: ${n}`));
  process.stdout.write(`${out.join('\n')}\n`);
}

/**
 * @returns the exit code: 0 when every section ran (missed targets included: the bench reports, it does not judge),
 * 1 when a section failed.
 */
export async function runSections(sections) {
  const payload = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadavgBefore: loadavg(),
    startedAt: new Date().toISOString(),
    sections: {},
    targets: [],
    failed: [],
  };
  process.stdout.write(
    `meshguard bench: node ${process.version}, ${payload.cpus} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  for (const section of sections) {
    const started = performance.now();
    try {
      const result = await section.run();
      const seconds = (performance.now() - started) / 1000;
      printSection(section, result, seconds);
      payload.sections[section.id] = { seconds, ...result.data, targets: result.targets ?? [] };
      for (const t of result.targets ?? []) payload.targets.push({ section: section.id, ...t });
    } catch (err) {
      process.stdout.write(`\n=== ${section.title} ===\nFAILED: ${err.stack ?? err}\n`);
      payload.failed.push({ section: section.id, error: String(err.message ?? err) });
    }
  }
  payload.loadavgAfter = loadavg();
  if (payload.targets.length > 0 && sections.length > 1) {
    const all = payload.targets.map((t) => ({ ...t, name: `${t.section}: ${t.name}` }));
    process.stdout.write(`\n${renderTargets(all, 'All targets')}\n`);
  }
  process.stdout.write(`\nBENCH_JSON ${JSON.stringify(roundDeep(payload))}\n`);
  return payload.failed.length > 0 ? 1 : 0;
}
