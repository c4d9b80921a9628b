#!/usr/bin/env node
// The `deepcut` command line. Exit codes: 0 success (help and --version included), 2 usage
// errors (commander's own: unknown command or option, missing option or value; and deepcut's
// CliError), 1 failures at run time (a missing libtorch addon included).
import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo';
import { CliError } from './args';
import { registerPretrain } from './commands/pretrain';
import { registerFinetune } from './commands/finetune';
import { registerEval } from './commands/eval';
import { registerUnlearn } from './commands/unlearn';
import { registerExperiment } from './commands/experiment';
import { registerWorker } from './commands/worker';
import { registerConvert } from './commands/convert';
import { registerPredict } from './commands/predict';
import { registerVerify } from './commands/verify';
import { registerReferences } from './commands/references';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('deepcut')
    .description('Machine unlearning for fine-tuned transformer text classifiers (DeepCUT and baselines)')
    .version('0.1.0')
    .showHelpAfterError()
    // Commander errors become exceptions (mapped to exit codes below) instead of process.exit(1);
    // subcommands made after this inherit both settings.
    .exitOverride()
    .allowExcessArguments(false);
  registerDemo(program);
  registerPretrain(program);
  registerFinetune(program);
  registerEval(program);
  registerUnlearn(program);
  registerReferences(program);
  registerExperiment(program);
  registerWorker(program);
  registerConvert(program);
  registerPredict(program);
  registerVerify(program);
  return program;
}

/**
 * `deepcut NAME --help` and `deepcut help NAME` for a NAME that is no command: commander would
 * print the global help with exit 0; say it is unknown instead (a usage error).
 */
function checkHelpTarget(program: Command, args: readonly string[]): void {
  const operands = args.filter((a) => !a.startsWith('-'));
  const wantsHelp = args.includes('--help') || args.includes('-h') || operands[0] === 'help';
  const name = operands[0] === 'help' ? operands[1] : operands[0];
  if (!wantsHelp || name === undefined) return;
  const known = program.commands.some((c) => c.name() === name || c.aliases().includes(name));
  if (!known && name !== 'help') {
    program.error(`error: unknown command '${name}' (commands: ${program.commands.map((c) => c.name()).join(', ')})`, {
      exitCode: EXIT_USAGE, code: 'commander.unknownCommand',
    });
  }
}

/** Runs the CLI on `argv` (process.argv layout) and returns the exit code; never calls process.exit. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    checkHelpTarget(program, argv.slice(2));
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (err: unknown) {
    // Commander has already printed its message (and the help after it).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (err instanceof CliError) {
      process.stderr.write(`deepcut: ${err.message}\n`);
      return EXIT_USAGE;
    }
    // Data and format errors carry the file/line in their message, and a missing addon says what
    // to install: no stack needed for those (DEEPCUT_DEBUG=1 prints it).
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`deepcut: ${message}\n`);
    if (process.env.DEEPCUT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return EXIT_FAILURE;
  }
}

if (require.main === module) {
  run(process.argv).then(
    (code) => {
      // Success exits on its own, once stdout (JSON lines, tables) has drained; a failure exits
      // now, as a progress bar's timer or a worker may still be holding the event loop.
      if (code === EXIT_OK) process.exitCode = code;
      else process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(`deepcut: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(EXIT_FAILURE);
    },
  );
}
