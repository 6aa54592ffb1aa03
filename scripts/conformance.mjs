#!/usr/bin/env node
// Measures how closely meshguard reproduces istiod's validating webhook: every case of
// ../shared/istio-validation-cases/cases.jsonl (an Istio object with istiod's verdict: valid, warning or invalid)
// goes through the engine in webhook mode with the default configuration, except that every policy other than
// `schema` and `istio-semantics` is off (meshguard's own guardrails are not part of the comparison).
//
//   npm run conformance                       build, then report
//   node scripts/conformance.mjs [--cases FILE] [--dist DIR] [--quiet]
//
// A case's meshguard verdict: denied -> invalid; admitted with warnings -> warning; admitted clean -> valid.
// Two agreements are reported: with istiod's own verdict, and with the API server's overall verdict (the CRD schema
// runs before any webhook, so an object the CRD rejects is invalid whatever istiod would say). Disagreements listed in
// test/conformance/known-disagreements.json are marked as known; any other disagreement makes the exit code 1.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]) : fallback;
}
const casesFile = option('--cases', join(ROOT, '../shared/istio-validation-cases/cases.jsonl'));
const dist = option('--dist', join(ROOT, 'dist'));
const quiet = process.argv.includes('--quiet');

if (!existsSync(join(dist, 'policies/index.js'))) {
  console.error(`conformance: no build in ${dist}; run \`npm run build\` first (npm run conformance does)`);
  process.exit(2);
}
const { policies } = require(join(dist, 'policies/index.js'));
const { loadConfig, formatConfigError } = require(join(dist, 'src/config/load-config.js'));
const { evaluate } = require(join(dist, 'src/engine/evaluate.js'));
const { IstioSchemas } = require(join(dist, 'src/schema/istio-schemas.js'));

const COUNTED = new Set(['schema', 'istio-semantics']);
const schemas = IstioSchemas.load();
const configYaml = `policies:\n${policies
  .filter((p) => !COUNTED.has(p.id))
  .map((p) => `  ${p.id}: { action: off }`)
  .join('\n')}\n`;
const loaded = loadConfig(configYaml, 'conformance.yaml', policies, schemas.registry);
if (!loaded.ok) {
  console.error(loaded.errors.map(formatConfigError).join('\n'));
  process.exit(2);
}
const known = JSON.parse(readFileSync(join(ROOT, 'test/conformance/known-disagreements.json'), 'utf8'));
const cases = readFileSync(casesFile, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));

function judge(object) {
  const [group, version] = String(object.apiVersion).split('/');
  const meta = object.metadata ?? {};
  return evaluate(
    {
      operation: 'CREATE',
      gvk: { group, version, kind: String(object.kind) },
      object,
      namespace: meta.namespace ?? 'default',
      name: meta.name,
    },
    { schemas, mode: 'webhook', config: loaded.config, now: new Date() },
  );
}

const counted = (f) => COUNTED.has(f.policy);
const rows = new Map();
const disagreements = [];
for (const c of cases) {
  const verdict = judge(c.object);
  const got = !verdict.handled
    ? 'valid'
    : verdict.violations.some(counted)
      ? 'invalid'
      : verdict.warnings.some(counted)
        ? 'warning'
        : 'valid';
  const overall = c.crdVerdict === 'reject' ? 'invalid' : c.expect;
  const row = rows.get(c.kind) ?? { kind: c.kind, n: 0, istiod: 0, overall: 0 };
  row.n++;
  if (got === c.expect) row.istiod++;
  if (got === overall) row.overall++;
  rows.set(c.kind, row);
  if (got !== c.expect) {
    const findings = verdict.handled ? [...verdict.violations, ...verdict.warnings].filter(counted) : [];
    disagreements.push({ c, got, reason: known[c.id], findings });
  }
}

const pct = (a, n) => `${((100 * a) / n).toFixed(2)}%`;
const pad = (s, w) => String(s).padEnd(w);
const lines = [`${pad('kind', 24)}${pad('cases', 7)}${pad('istiod', 16)}API server overall`];
const total = { n: 0, istiod: 0, overall: 0 };
for (const r of [...rows.values()].sort((a, b) => a.kind.localeCompare(b.kind))) {
  lines.push(
    `${pad(r.kind, 24)}${pad(r.n, 7)}${pad(`${r.istiod} ${pct(r.istiod, r.n)}`, 16)}${r.overall} ${pct(r.overall, r.n)}`,
  );
  total.n += r.n;
  total.istiod += r.istiod;
  total.overall += r.overall;
}
lines.push(
  `${pad('overall', 24)}${pad(total.n, 7)}${pad(`${total.istiod} ${pct(total.istiod, total.n)}`, 16)}${total.overall} ${pct(total.overall, total.n)}`,
);
console.log(`istiod conformance: ${cases.length} cases from ${casesFile}\n`);
console.log(lines.join('\n'));
console.log(
  '\n"istiod": agreement with istiod\'s webhook verdict; "API server overall": a CRD rejection counts as invalid.',
);

const unexpected = disagreements.filter((d) => d.reason === undefined);
console.log(`\n${disagreements.length} disagreement(s), ${unexpected.length} not known:`);
for (const d of disagreements) {
  console.log(`  ${d.c.id} ${d.c.kind}: istiod ${d.c.expect}, meshguard ${d.got} (CRD ${d.c.crdVerdict}) ${d.c.rule}`);
  console.log(`      ${d.reason ? `known: ${d.reason}` : 'NOT KNOWN'}`);
  if (!quiet) for (const f of d.findings) console.log(`      [${f.policy}] ${f.path}: ${f.message}`);
}
process.exitCode = unexpected.length > 0 ? 1 : 0;
