import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { policies } from '../../../policies';
import { clusterViewOfObjects } from '../../cluster/from-files';
import { ConfigLoadError, readConfig } from '../../config/read-config';
import { packageRoot } from '../../package-root';
import { IstioSchemas } from '../../schema/istio-schemas';
import type { CheckCliOptions } from '../check-command';
import { type CheckContext, checkLoaded } from './check-documents';
import { useColor } from './color';
import { discoverInputs } from './discover-inputs';
import { formatJson } from './format-json';
import { formatJunit } from './format-junit';
import { formatSarif } from './format-sarif';
import { formatText } from './format-text';
import { type LoadResult, loadDocuments } from './load-documents';
import { ruleInfos, schemaPolicyDefinitions } from './policy-docs';
import { readInput } from './read-inputs';
import { buildReport, type CheckReport, exitCode, type FileResult, inputErrorLine } from './report';

export interface CheckIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export function meshguardVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

function render(report: CheckReport, opts: CheckCliOptions, ctx: CheckContext, io: CheckIo): string {
  switch (opts.output) {
    case 'json':
      return formatJson(report);
    case 'junit':
      return formatJunit(report);
    case 'sarif':
      return formatSarif(report, {
        rules: ruleInfos(ctx.config, schemaPolicyDefinitions(opts.config)),
        version: meshguardVersion(),
      });
    default:
      return formatText(report, { color: useColor(io.stdout, io.env) });
  }
}

/**
 * `meshguard check`: discover the inputs, load the engine once, check every document, print one report. Returns
 * the exit code (0 admitted, 1 denied or invalid, 2 unreadable input or configuration error).
 */
export async function runCheck(paths: readonly string[], opts: CheckCliOptions, io: CheckIo): Promise<0 | 1 | 2> {
  const discovery = discoverInputs(paths);
  let ctx: CheckContext;
  try {
    const schemas = IstioSchemas.load();
    const config = readConfig(opts.config, policies, schemas.registry);
    ctx = { schemas, config, namespace: opts.namespace, strictKinds: opts.strictKinds === true, now: new Date() };
  } catch (err) {
    if (err instanceof ConfigLoadError) {
      io.stderr.write(`meshguard: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const files: FileResult[] = discovery.problems.map((p) => ({
    file: p.path,
    objects: [],
    error: { file: p.path, message: p.message },
  }));
  // meshguard cluster view (issue 7): every input is read and parsed first, so that the objects of all the files form
  // the view cross-object policies judge each object against, as `istioctl analyze --use-kube=false` does.
  type Source = (typeof discovery.sources)[number];
  const inputs: Array<{ source: Source; read: Awaited<ReturnType<typeof readInput>> }> = [];
  for (const source of discovery.sources) inputs.push({ source, read: await readInput(source, io.stdin) });
  const parsed: Array<{ source: Source; loaded: LoadResult } | { source: Source; error: string }> = inputs.map(
    ({ source, read }) =>
      read.ok ? { source, loaded: loadDocuments(read.text, source.path) } : { source, error: read.message },
  );
  ctx.cluster = clusterViewOfObjects(
    parsed.flatMap((p) => ('loaded' in p && p.loaded.ok ? p.loaded.documents.map((d) => d.value) : [])),
    opts.namespace,
  );
  for (const p of parsed) {
    files.push(
      'loaded' in p
        ? checkLoaded(p.source.path, p.loaded, ctx)
        : { file: p.source.path, objects: [], error: { file: p.source.path, message: p.error } },
    );
  }
  const report = buildReport(files);

  for (const f of files) if (f.error) io.stderr.write(`${inputErrorLine(f.error)}\n`);
  for (const dir of discovery.emptyFolders)
    io.stderr.write(`meshguard: note: no .yaml, .yml or .json files under ${dir}\n`);
  io.stdout.write(render(report, opts, ctx, io));
  return exitCode(report, opts.failOn);
}
