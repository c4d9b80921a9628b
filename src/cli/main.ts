#!/usr/bin/env node
// The `deepcut` command line.
import { Command } from 'commander';
import { registerDemo } from './commands/demo';
import { CliError } from './args';
import { registerPretrain } from './commands/pretrain';
import { registerFinetune } from './commands/finetune';
import { registerEval } from './commands/eval';
import { registerUnlearn } from './commands/unlearn';
import { registerExperiment } from './commands/experiment';
import { registerConvert } from './commands/convert';

async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('deepcut')
    .description('Machine unlearning for fine-tuned transformer text classifiers (DeepCUT and baselines)')
    .version('0.1.0')
    .showHelpAfterError();
  registerDemo(program);
  registerPretrain(program);
  registerFinetune(program);
  registerEval(program);
  registerUnlearn(program);
  registerExperiment(program);
  registerConvert(program);
  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`deepcut: ${err.message}\n`);
    process.exit(2);
  }
  // Data and format errors carry the file/line in their message; no stack needed for those either.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`deepcut: ${message}\n`);
  if (process.env.DEEPCUT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
