// `deepcut experiment --config FILE.yaml`: datasets × forget specs × methods × seeds in one
// resumable run, with results.csv, results.md, a report per (dataset, forget, seed) and an index.
import * as path from 'node:path';
import type { Command } from 'commander';
import { getNumThreads, torchVersion } from '../../engine';
import {
  ConfigError, checkExperimentOutput, loadConfigFile, planExperiment, runExperiment, REFERENCE_METHOD,
  type ExperimentConfig, type ExperimentOutcome,
} from '../../experiment';
import { CliError, parseFlag } from '../args';
import { startProgress } from '../progress';
import { DEVICE_HELP, deviceFlag, deviceLine } from '../device';

interface ExperimentFlags { config: string; out?: string; resume?: boolean; overwrite?: boolean; device: string; queue?: string }

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** The grid and its settings, printed before a run starts (so a long run says what it will do). */
export function describeExperiment(config: ExperimentConfig): string[] {
  const plan = planExperiment(config);
  const count = (kind: string) => plan.units.filter((u) => u.kind === kind).length;
  const f = config.finetune;
  return [
    `experiment ${config.name}: ${config.datasets.length} dataset(s) x ${config.forget.length} forget spec(s) x ${config.methods.length} method(s) + ${REFERENCE_METHOD} x ${config.seeds.length} seed(s)`,
    `  ${plan.units.length} units: ${plural(count('finetune'), 'fine-tune')} (one per dataset and seed), ${count('references') > 0 ? `${plural(count('references'), 'set')} of ${config.references.k} reference models (one per original), ` : ''}${plural(count('unlearn'), 'unlearning run')} (${REFERENCE_METHOD} included), ${plural(count('eval'), 'evaluation')}`,
    `  datasets ${config.datasets.map((d) => d.key).join(', ')}; forget ${config.forget.map((x) => x.spec).join(', ')}; methods ${config.methods.join(', ')}; seeds ${config.seeds.join(', ')}`,
    `  fine-tune: ${f.epochs} epochs, batch ${f.batchSize}, lr ${f.lr}, max length ${f.maxLength}, patience ${f.patience}, from ${config.baseModel}`,
    `  out ${config.out}`,
  ];
}

/** Runs a validated config with console progress; throws (exit 1) when any unit failed, after writing what finished. */
export async function runWithConsole(
  config: ExperimentConfig, options: { resume?: boolean; overwrite?: boolean; device: string; queue?: string; intro?: readonly string[] },
): Promise<ExperimentOutcome> {
  if (options.resume && options.overwrite) throw new CliError('pass either --resume or --overwrite, not both');
  if (options.queue !== undefined && options.device !== 'auto') throw new CliError('with --queue the units run on the workers: pass --device to `deepcut worker`');
  try {
    checkExperimentOutput(config.out, options);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  for (const line of options.intro ?? []) console.log(line);
  const started = Date.now();
  let outcome: ExperimentOutcome;
  if (options.queue !== undefined) {
    for (const line of describeExperiment(config)) console.log(line);
    const url = options.queue;
    // Loaded here: BullMQ and ioredis cost every other command ~0.2 s at start.
    const queue = await import('../../experiment/queue');
    parseFlag(() => queue.redisOptions(url));
    outcome = await queue.submitExperiment(config, { url, resume: options.resume, overwrite: options.overwrite, log: (line) => console.log(line) });
  } else {
    const device = deviceFlag(options.device); // after the other checks: 'auto' loads the addon
    console.log(`deepcut: libtorch ${torchVersion()}, ${getNumThreads()} threads, ${deviceLine(device)}`);
    for (const line of describeExperiment(config)) console.log(line);
    outcome = await runExperiment(config, {
      resume: options.resume, overwrite: options.overwrite, device, log: (line) => console.log(line), progress: (label, total, fields) => startProgress(`  ${label}`, total, fields),
    });
  }
  const c = outcome.counts;
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${c.ran} units run, ${c.resumed} resumed, ${c.skipped} finished earlier, ${c.failed} failed, ${c.blocked} not run`);
  console.log(`wrote ${outcome.files.csv}, ${path.basename(outcome.files.markdown)}, ${path.basename(outcome.files.index)} and ${outcome.files.reports.length} report(s)`);
  if (outcome.failures.length > 0) {
    const list = outcome.failures.map((f) => `  ${f.unit.id}: ${f.error.message}`).join('\n');
    throw new Error(`${outcome.failures.length} unit(s) failed (rerun with --resume after fixing; finished units are kept):\n${list}`);
  }
  return outcome;
}

export function registerExperiment(program: Command): void {
  program
    .command('experiment')
    .description('run datasets x forget specs x methods x seeds from a YAML config (resumable); writes results.csv, results.md, reports and index.html')
    .requiredOption('--config <file>', 'experiment config (YAML; README: Experiments)')
    .option('--out <dir>', "output folder (default: the config's out, else runs/NAME)")
    .option('--resume', 'continue the experiment in the output folder: skip finished units, resume interrupted ones')
    .option('--overwrite', 'delete the experiment in the output folder and start over')
    .option('--device <device>', DEVICE_HELP, 'auto')
    .option('--queue <url>', 'put the units on a BullMQ queue on this Redis (redis://HOST:PORT) for `deepcut worker`s sharing the output folder; shows progress, writes the tables when the last unit ends')
    .action(async (f: ExperimentFlags) => {
      let config: ExperimentConfig;
      try {
        config = loadConfigFile(f.config, { out: f.out });
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message);
        throw err;
      }
      await runWithConsole(config, { resume: f.resume, overwrite: f.overwrite, device: f.device, ...(f.queue !== undefined ? { queue: f.queue } : {}) });
    });
}
