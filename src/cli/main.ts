#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, type CommanderError } from 'commander';
import { packageRoot } from '../package-root';
import { checkCommand } from './check-command';
import { explainCommand } from './explain-command';
import { policiesCommand } from './policies-command';
import { serveCommand } from './serve-command';

const program = new Command('meshguard')
  .description('Policy for Istio resources: a Kubernetes validating admission webhook and a CI checker')
  .version((JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version)
  .showHelpAfterError()
  .addCommand(serveCommand())
  .addCommand(checkCommand())
  .addCommand(policiesCommand())
  .addCommand(explainCommand());

// Exit 2 for usage errors (unknown option, bad value), as CI scripts expect; 1 is kept for "denied".
const usageExit = (err: CommanderError): never => {
  process.exit(['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code) ? 0 : 2);
};
program.exitOverride(usageExit);
for (const command of program.commands) command.exitOverride(usageExit);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`meshguard: ${(err as Error).message}\n`);
  process.exit(2);
});
