// Printing: aligned tables for people, targets as OK/MISS, numbers rounded for reading (the JSON keeps them whole).

/** @typedef {{ title?: string, columns: string[], rows: unknown[][], align?: ('l' | 'r')[] }} Table */

function cell(v) {
  if (v === undefined || v === null) return '–';
  if (typeof v === 'number') return formatNumber(v);
  return String(v);
}

export function formatNumber(n) {
  if (Number.isNaN(n)) return '–';
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (Number.isInteger(n) && abs < 1000) return String(n);
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US');
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  if (abs >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

/** @param {Table} table */
export function renderTable(table) {
  const cells = table.rows.map((r) => r.map(cell));
  const widths = table.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const align = table.align ?? table.columns.map((_, i) => (i === 0 ? 'l' : 'r'));
  const line = (r) =>
    r
      .map((c, i) => (align[i] === 'l' ? (c ?? '').padEnd(widths[i]) : (c ?? '').padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [];
  if (table.title) out.push(table.title);
  out.push(line(table.columns), widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells) out.push(line(r));
  return out.join('\n');
}

/**
 * A target printed beside the figure. `atMost` or `atLeast` gives the direction; the measured value is compared as is.
 * @returns {{ name: string, measured: number, limit: number, direction: 'atMost' | 'atLeast', unit: string, ok: boolean }}
 */
export function target(name, measured, { atMost, atLeast, unit = '' }) {
  const direction = atMost !== undefined ? 'atMost' : 'atLeast';
  const limit = atMost ?? atLeast;
  const ok = Number.isFinite(measured) && (direction === 'atMost' ? measured <= limit : measured >= limit);
  return { name, measured, limit, direction, unit, ok };
}

export function renderTargets(targets, title = 'Targets') {
  return renderTable({
    title,
    columns: ['target', 'measured', 'limit', ''],
    align: ['l', 'r', 'l', 'l'],
    rows: targets.map((t) => [
      t.name,
      `${formatNumber(t.measured)}${t.unit}`,
      `${t.direction === 'atMost' ? '≤' : '≥'} ${formatNumber(t.limit)}${t.unit}`,
      t.ok ? 'OK' : 'MISS',
    ]),
  });
}

export function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export function percentile(values, p) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

/** Reads a positive number from the environment, or the default; a bad value stops the bench with its name. */
export function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw} is not a positive number`);
  return n;
}

/** Rounds every number in a JSON-bound value to at most `digits` decimals. */
export function roundDeep(value, digits = 3) {
  const f = 10 ** digits;
  if (typeof value === 'number') return Number.isInteger(value) ? value : Math.round(value * f) / f;
  if (Array.isArray(value)) return value.map((v) => roundDeep(v, digits));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v, digits)]));
  return value;
}
