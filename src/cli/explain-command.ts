import { Command, Option } from 'commander';

export function explainCommand(): Command {
  return new Command('explain')
    .description('explain a policy: what, why, how to fix, parameters, settings in force')
    .argument('<policy-id>', 'a policy id, as listed by `meshguard policies`')
    .addOption(
      new Option('--config <file>', 'policy configuration (YAML): its settings and schema policies').env(
        'MESHGUARD_CONFIG',
      ),
    )
    .action((id: string, opts: { config?: string }) => {
      // Required here, as for the other commands: `serve` and `--help` never need the policies' documentation.
      const { explainText } = require('./explain') as typeof import('./explain');
      process.stdout.write(explainText(id, opts.config));
    });
}
