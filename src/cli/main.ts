#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../package-root';
import { serveCommand } from './serve-command';

const program = new Command('meshguard')
  .description('Policy for Istio resources: a Kubernetes validating admission webhook and a CI checker')
  .version((JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version)
  .showHelpAfterError()
  .addCommand(serveCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`meshguard: ${(err as Error).message}\n`);
  process.exit(2);
});
