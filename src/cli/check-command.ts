import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { policies } from '../../policies';
import { clusterViewOfObjects } from '../cluster/from-files';
import { ConfigLoadError, readConfig } from '../config/read-config';
import { packageRoot } from '../package-root';
import { IstioSchemas } from '../schema/istio-schemas';
import { type CheckContext, checkLoaded } from './check/check-documents';
import { useColor } from './check/color';
import { discoverInputs } from './check/discover-inputs';
import { formatJson } from './check/format-json';
import { formatJunit } from './check/format-junit';
import { formatSarif } from './check/format-sarif';
import { formatText } from './check/format-text';
import { type LoadResult, loadDocuments } from './check/load-documents';
import { ruleInfos, schemaPolicyDefinitions } from './check/policy-docs';
import { readInput } from './check/read-inputs';
import { buildReport, type CheckReport, exitCode, type FailOn, type FileResult, inputErrorLine } from './check/report';

export type OutputFormat = 'text' | 'json' | 'junit' | 'sarif';

export interface CheckCliOptions {
  config?: string;
  output: OutputFormat;
  namespace: string;
  failOn: FailOn;
  strictKinds?: boolean;
}

export interface CheckIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function namespaceName(value: string): string {
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new InvalidArgumentError('must be a namespace name (lower-case letters, digits and "-", at most 63)');
  }
  return value;
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

export function checkCommand(): Command {
  return new Command('check')
    .description(
      "check manifests with the webhook's engine, offline: unknown fields are errors, as with kubectl --validate=strict",
    )
    .argument('<paths...>', 'files, folders (searched recursively for .yaml, .yml and .json) or - for standard input')
    .addOption(
      new Option('--config <file>', 'policy configuration (YAML); the embedded default when absent').env(
        'MESHGUARD_CONFIG',
      ),
    )
    .addOption(
      new Option('-o, --output <format>', 'report format').choices(['text', 'json', 'junit', 'sarif']).default('text'),
    )
    .addOption(
      new Option('-n, --namespace <namespace>', 'namespace for objects without metadata.namespace')
        .argParser(namespaceName)
        .default('default'),
    )
    .addOption(
      new Option('--fail-on <action>', 'exit 1 on denials only, or on warnings too')
        .choices(['deny', 'warn'])
        .default('deny'),
    )
    .addOption(
      new Option('--strict-kinds', 'report documents that are not Istio kinds as errors instead of skipping them'),
    )
    .addHelpText(
      'after',
      [
        '',
        'Exit codes:',
        '  0  every object admitted (warnings too, unless --fail-on warn)',
        '  1  an object denied, or a document that cannot be checked',
        '  2  usage or configuration error, unreadable file, YAML syntax error',
        '',
        'Examples:',
        '  meshguard check manifests/',
        '  helm template charts/app | meshguard check -o sarif - > meshguard.sarif',
      ].join('\n'),
    )
    .action(async (paths: string[], opts: CheckCliOptions) => {
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        // `meshguard check … | head`: the reader left; nothing more to say, and no stack trace.
        if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        throw err;
      });
      process.exitCode = await runCheck(paths, opts, {
        stdout: process.stdout,
        stderr: process.stderr,
        stdin: process.stdin,
        env: process.env,
      });
    });
}
