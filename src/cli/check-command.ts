import { Command, InvalidArgumentError, Option } from 'commander';
import type { FailOn } from './check/report';

export type OutputFormat = 'text' | 'json' | 'junit' | 'sarif';

export interface CheckCliOptions {
  config?: string;
  output: OutputFormat;
  namespace: string;
  failOn: FailOn;
  strictKinds?: boolean;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function namespaceName(value: string): string {
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new InvalidArgumentError('must be a namespace name (lower-case letters, digits and "-", at most 63)');
  }
  return value;
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
      // The engine and the report formats are required only when a check runs (not for `serve` or `--help`).
      const { runCheck } = require('./check/run-check') as typeof import('./check/run-check');
      process.exitCode = await runCheck(paths, opts, {
        stdout: process.stdout,
        stderr: process.stderr,
        stdin: process.stdin,
        env: process.env,
      });
    });
}
