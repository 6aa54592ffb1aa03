import { Command, Option } from 'commander';

export function policiesCommand(): Command {
  return new Command('policies')
    .description('list the policies: id, kinds, default action, summary')
    .addOption(
      new Option('--config <file>', 'policy configuration (YAML) whose actions and schema policies to show').env(
        'MESHGUARD_CONFIG',
      ),
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((opts: { config?: string; output: 'text' | 'json' }) => {
      // The policy registry is required only when the command runs: `serve` and `--help` never need this code.
      const { listPolicies } = require('./policies-list') as typeof import('./policies-list');
      listPolicies(opts);
    });
}
