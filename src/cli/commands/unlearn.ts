// `deepcut unlearn`: make a model forget a set of training records with one registered method.
import * as path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_SEED, FORGET_SPEC_SYNTAX, loadDataset, resolveForgetSet } from '../../data';
import {
  listMethods, hyperparameterSpec, parseHyperparameter, STOP_RULES, STOP_RULE_HELP, type StopRule,
} from '../../methods';
import { unlearn, checkOutput } from '../../methods/unlearn';
import { recordedRecipe } from '../../methods/recipe';
import { torchVersion, getNumThreads } from '../../engine';
import { startProgress } from '../progress';
import { positiveInt, nonNegativeInt, CliError } from '../args';
import { DEVICE_HELP, deviceFlag, deviceLine } from '../device';

interface UnlearnFlags {
  model: string; data: string; forget: string; method: string; out: string; seed: string; hp: string[];
  stop?: string; references?: string; maxLength?: string; splitSeed?: string; base?: string; resume?: boolean; overwrite?: boolean; device: string;
}

/** The method list shown after `deepcut unlearn --help`. */
export function methodHelp(): string {
  const lines = ['', 'Methods (--method NAME):'];
  for (const m of listMethods()) {
    lines.push(`  ${m.name.padEnd(24)}${m.description}`);
    const own = Object.entries(m.hyperparameters);
    if (own.length > 0) lines.push(`  ${''.padEnd(24)}--hp ${own.map(([k, v]) => `${k}=${v.default}`).join(' ')}`);
  }
  lines.push('', 'Loop hyper-parameters of the loss-based methods (--hp NAME=VALUE):');
  const loop = hyperparameterSpec(listMethods().find((m) => m.name === 'finetune')!);
  for (const [k, v] of Object.entries(loop)) lines.push(`  ${`${k}=${v.default}`.padEnd(24)}${v.help}`);
  lines.push('', 'Stopping rules (--stop):');
  for (const r of STOP_RULES) lines.push(`  ${r.padEnd(24)}${STOP_RULE_HELP[r]}`);
  return lines.join('\n');
}

export function registerUnlearn(program: Command): void {
  program
    .command('unlearn')
    .description('make a fine-tuned model forget training records (writes a new model; the input is never modified)')
    .requiredOption('--model <dir>', 'fine-tuned Hugging Face model folder (from deepcut finetune)')
    .requiredOption('--data <name|file>', 'the dataset it was fine-tuned on (built-in name or .jsonl/.csv)')
    .requiredOption('--forget <spec>', `records to forget: ${FORGET_SPEC_SYNTAX}`)
    .option('--method <name>', 'unlearning method (list below)', 'deepcut')
    .requiredOption('--out <dir>', 'output folder: unlearned model, unlearn.json, forget.json')
    .option('--seed <n>', 'random seed (batches, dropout, random labels)', '0')
    .option('--hp <name=value>', 'hyper-parameter override, repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--stop <rule>', `stopping rule: ${STOP_RULES.join(' | ')} (default: references when --references is given, else accuracy)`)
    .option('--references <dir>', "--stop references: reference models trained on this data by 'deepcut references'")
    .option('--max-length <n>', 'tokens per text (default: the model\'s recipe, lineage.json or train.json, else 128)')
    .option('--split-seed <n>', `data split / random: forget seed (default: the model's recipe, lineage.json or train.json, else ${DEFAULT_SEED})`)
    .option('--base <dir>', 'retrain: the pretrained encoder to start from (default: train.json\'s base_model)')
    .option('--resume', 'continue an interrupted run in --out from its last checkpoint')
    .option('--overwrite', 'replace an existing --out folder')
    .addHelpText('after', methodHelp)
    .option('--device <device>', DEVICE_HELP, 'auto')
    .action(async (f: UnlearnFlags) => {
      if (!listMethods().some((m) => m.name === f.method)) {
        throw new CliError(`unknown --method '${f.method}' (known: ${listMethods().map((m) => m.name).join(', ')})`);
      }
      // The per-request target wins where it is available (docs/results.md); without reference models, the paper's rule.
      f.stop ??= f.references !== undefined ? 'references' : 'accuracy';
      if (!(STOP_RULES as readonly string[]).includes(f.stop)) throw new CliError(`--stop must be one of ${STOP_RULES.join(', ')}, got '${f.stop}'`);
      if (f.stop === 'references' && f.references === undefined) throw new CliError("--stop references needs --references DIR (train them with 'deepcut references --model ORIGINAL --data D --k 4 --out DIR')");
      if (f.references !== undefined && f.stop !== 'references') throw new CliError(`--references is read by --stop references only (got --stop ${f.stop})`);
      const out = path.resolve(f.out);
      try {
        checkOutput(out, f.model, { resume: f.resume, overwrite: f.overwrite });
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err));
      }
      const hp: Record<string, number> = {};
      for (const item of f.hp) {
        try {
          const [k, v] = parseHyperparameter(item);
          hp[k] = v;
        } catch (err) {
          throw new CliError(err instanceof Error ? err.message : String(err));
        }
      }
      const device = deviceFlag(f.device); // after the other flags: 'auto' loads the addon
      // The model's own recipe (lineage.json; train.json / sisa.json / unlearn.json for older folders).
      const recipe = recordedRecipe(f.model);
      const splitSeed = f.splitSeed !== undefined ? nonNegativeInt(f.splitSeed, '--split-seed') : recipe.splitSeed ?? DEFAULT_SEED;
      if (f.splitSeed === undefined && recipe.splitSeed === undefined) console.log(`note: ${f.model} records no split seed; using ${DEFAULT_SEED}`);
      console.log(`deepcut unlearn: method ${f.method}, libtorch ${torchVersion()}, ${getNumThreads()} threads, ${deviceLine(device)}`);
      const ds = await loadDataset(f.data, { seed: splitSeed, log: (line: string) => console.log(line) });
      const forget = resolveForgetSet(ds, f.forget, { seed: splitSeed });
      forget.warnings.forEach((w) => console.warn(`warning: ${w}`));
      console.log(`forget set ${forget.spec}: ${forget.ids.length} records (hash ${forget.hash.slice(0, 12)})`);
      let progress: ReturnType<typeof startProgress> | undefined;
      const result = await unlearn({
        modelDir: f.model, dataset: ds, forget, method: f.method, out, seed: nonNegativeInt(f.seed, '--seed'), hp,
        stop: f.stop as StopRule, references: f.references, splitSeed, maxLength: f.maxLength !== undefined ? positiveInt(f.maxLength, '--max-length') : undefined,
        baseModel: f.base, resume: f.resume, device, log: (line) => console.log(line),
        onStep: ({ step, total, values }) => {
          progress ??= startProgress(f.method, total, ['loss', 'forget', 'retain']);
          const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(4));
          progress.update(step, { loss: fmt(values.total ?? values.retain), forget: fmt(values.forget), retain: fmt(values.retain) });
        },
        onCheck: (c) => {
          progress?.stop();
          progress = undefined;
          if (c.distance !== undefined) {
            console.log(`step ${c.step}${c.fine ? ' (replay)' : ''}: forget accuracy ${(100 * c.forgetAccuracy).toFixed(1)}%, ${(100 * c.distance).toFixed(1)} points from the target${c.estimatedGap !== undefined ? `; retain ${(100 * c.retainAccuracy!).toFixed(1)}%, validation ${(100 * c.heldoutAccuracy!).toFixed(1)}%, loss MIA ${c.lossAuc?.toFixed(3) ?? '-'}, estimated gap ${c.estimatedGap.toFixed(4)}` : c.heldoutAccuracy !== undefined ? `; validation ${(100 * c.heldoutAccuracy).toFixed(1)}%` : ''}${c.unseen ? (c.fine ? ' -> crossed the target, stopping' : ' -> crossed the target') : ''}`);
            return;
          }
          console.log(`step ${c.step}: forget accuracy ${(100 * c.forgetAccuracy).toFixed(1)}% vs validation ${(100 * (c.heldoutAccuracy ?? NaN)).toFixed(1)}%, forget loss ${c.forgetLoss.toFixed(3)} vs ${(c.heldoutLoss ?? NaN).toFixed(3)}${c.unseen ? ' -> forget set looks unseen, stopping' : ''}`);
        },
      });
      progress?.stop();
      const why = result.stopped_by === 'rule' ? 'stopping rule met' : result.stopped_by === 'budget' ? 'step budget used' : 'done';
      const s = result.seconds;
      const split = s ? ` (target ${s.target.toFixed(1)} s, ${result.steps_run ?? result.steps} steps ${s.steps.toFixed(1)} s, ${result.checks?.length ?? 0} checks ${s.checks.toFixed(1)} s)` : '';
      console.log(`${result.method}: ${result.steps} steps (${why}), ${result.wall_seconds.toFixed(1)} s${split}; wrote ${out}`);
    });
}
