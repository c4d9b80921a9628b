// bench/unlearn: how much faster than retraining is unlearning, and how close does it get?
// On one dataset (default SpamAssassin) it forgets 1, 10, 100 and 1000 random train samples
// (nested: each set contains the smaller ones; seeded, written as ids: files) with one method
// (default deepcut) and with retrain, through the experiment pipeline (one shared original
// fine-tune, one retrain per size), and prints per size the wall-time speed-up over retraining
// and the accuracy gaps (forget/retain/test) to the retrained model.
//
// By default the method stops at the per-request target of 4 reference models (trained once
// beside the original; their cost is printed apart). At full size this is 5 fine-tunes of the
// default encoder plus the references (~40 min on 2 cores); the demo's recipe is
// --epochs 1 --max-length 64 --hp lr=5e-5 --hp freezeLayers=1; for a quick check
// --sizes 1,10 --epochs 1 --max-length 64 --hp steps=20.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataset, rngFor, shuffled, splitOf } from '../../src/data';
import { parseConfig, runExperiment, REFERENCE_METHOD, type ResultRow } from '../../src/experiment';
import { writeFileAtomic } from '../../src/io/atomic';
import { parseHyperparameter } from '../../src/methods';
import { startProgress } from '../../src/cli/progress';
import { intFlag } from '../common/flags';

const HELP = `usage: node dist/bench/unlearn/bench.js [options]   (npm run bench:unlearn -- [options])
  --data NAME|FILE   dataset (default spamassassin)
  --sizes LIST       forget-set sizes, random train samples (default 1,10,100,1000)
  --method NAME      unlearning method timed against retrain (default deepcut)
  --hp NAME=VALUE    hyper-parameter override for the method, repeatable (e.g. steps=20)
  --stop RULE        stopping rule (default references: the per-request target from reference models)
  --k N              reference models with --stop references (default 4; trained once, their cost printed apart)
  --epochs N         fine-tune epochs of the original and of each retrain (default 3)
  --max-length N     tokens per text (default 128)
  --batch N          fine-tune batch size (default 16)
  --lr X             fine-tune peak learning rate (default 1e-4)
  --base DIR         encoder to fine-tune (default: the default encoder, models/use-lite)
  --seed N           picks the forget samples; seeds training and unlearning (default 0)
  --out DIR          output folder (default runs/bench-unlearn)
  --resume           continue an interrupted run in --out`;

const STRING_FLAGS = ['data', 'sizes', 'method', 'epochs', 'max-length', 'batch', 'lr', 'base', 'seed', 'out', 'stop', 'k'] as const;
type Flags = Partial<Record<(typeof STRING_FLAGS)[number], string>> & { hp?: string[]; resume?: boolean; help?: boolean };

function parseFlags(): Flags {
  try {
    return parseArgs({
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((k) => [k, { type: 'string' as const }])),
        hp: { type: 'string', multiple: true },
        resume: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values as Flags;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${HELP}`);
    process.exit(2);
  }
}

const int = (value: string | undefined, flag: string, fallback: number, min = 1): number => intFlag(value, flag, fallback, HELP, min);

const fmt = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : 'nan');

async function main(): Promise<void> {
  const flags = parseFlags();
  if (flags.help) {
    console.log(HELP);
    return;
  }
  const sizes = (flags.sizes ?? '1,10,100,1000').split(',').map((s) => int(s.trim(), 'sizes', 0));
  if (new Set(sizes).size !== sizes.length) throw new Error(`--sizes lists a size twice: ${flags.sizes}`);
  const seed = int(flags.seed, 'seed', 0, 0);
  const method = flags.method ?? 'deepcut';
  const hp = Object.fromEntries((flags.hp ?? []).map(parseHyperparameter));
  const data = flags.data ?? 'spamassassin';
  const out = path.resolve(flags.out ?? path.join('runs', 'bench-unlearn'));

  const forget = sizes.map((n) => `ids:${path.join('ids', `random-${n}.txt`)}`);
  const config = parseConfig(
    {
      name: 'bench-unlearn', datasets: [fs.existsSync(data) ? path.resolve(data) : data], forget, methods: [method], seeds: [seed],
      ...(flags.base ? { base_model: path.resolve(flags.base) } : {}),
      finetune: {
        epochs: int(flags.epochs, 'epochs', 3), max_length: int(flags['max-length'], 'max-length', 128), batch: int(flags.batch, 'batch', 16),
        lr: flags.lr !== undefined ? Number(flags.lr) : 1e-4,
      },
      ...(Object.keys(hp).length > 0 ? { hp: { [method]: hp } } : {}),
      stop: flags.stop ?? 'references',
      ...((flags.stop ?? 'references') === 'references' ? { references: { k: int(flags.k, 'k', 4, 2) } } : {}),
    },
    { source: 'bench/unlearn flags', baseDir: out, out: path.join(out, 'experiment') },
  );
  // The forget samples come from the train split the experiment will use (same split seed).
  const ds = await loadDataset(data, { seed: config.splitSeed });
  const train = splitOf(ds, 'train');
  const largest = Math.max(...sizes);
  if (largest > train.length) throw new Error(`--sizes: ${largest} samples asked, ${ds.name} has ${train.length} train records`);
  // Nested sets (prefixes of one seeded shuffle): a bigger request contains every smaller one.
  const order = shuffled(train.map((e) => e.id), rngFor(seed, 'bench-unlearn'));
  sizes.forEach((n, i) => {
    writeFileAtomic(path.join(out, forget[i]!.slice('ids:'.length)), `# ${n} random train ids of ${ds.name}, seed ${seed}\n${order.slice(0, n).join('\n')}\n`);
  });
  const f = config.finetune;
  console.log(`# bench/unlearn: ${ds.name}, ${method} vs ${REFERENCE_METHOD}, forget ${sizes.join('/')} random train samples (seed ${seed}); fine-tune ${f.epochs} epochs, batch ${f.batchSize}, max length ${f.maxLength}`);
  const outcome = await runExperiment(config, {
    resume: Boolean(flags.resume), log: (line) => console.log(line), progress: (label, total, fields) => startProgress(`  ${label}`, total, fields),
  });
  if (outcome.failures.length > 0) throw new Error(`${outcome.failures.length} unit(s) failed: ${outcome.failures.map((x) => `${x.unit.id}: ${x.error.message}`).join('; ')}`);

  if (config.stop === 'references') {
    const manifest = JSON.parse(fs.readFileSync(path.join(config.out, outcome.rows[0]!.dataset, `seed-${seed}`, 'references', 'references.json'), 'utf8')) as { k: number; partitions: { wall_seconds?: number }[] };
    console.log(`# ${manifest.k} reference models: ${fmt(manifest.partitions.reduce((a, p) => a + (p.wall_seconds ?? 0), 0), 0)} s once for the original, shared by every size (not in the method's time)`);
  }
  console.log(`# size: forget-set size; speedup_vs_retrain = retrain wall time / ${method} wall time (target estimation included); gap_* = |${method} - ${REFERENCE_METHOD}| accuracy; gap_average as results.csv`);
  sizes.forEach((n, i) => {
    const rows = outcome.rows.filter((r) => r.forget === forget[i]);
    const pick = (m: string): ResultRow | undefined => rows.find((r) => r.method === m);
    const ours = pick(method);
    const ref = pick(REFERENCE_METHOD);
    if (!ours || !ref) throw new Error(`size ${n}: no results for ${ours ? REFERENCE_METHOD : method}`);
    const gap = (k: 'accuracy_forget' | 'accuracy_retain' | 'accuracy_test') => Math.abs(ours[k] - ref[k]);
    console.log(
      `size=${n} speedup_vs_retrain=${fmt(ours.speedup_vs_retrain, 2)} ${method}_s=${fmt(ours.wall_seconds, 1)} ${REFERENCE_METHOD}_s=${fmt(ref.wall_seconds, 1)} ` +
      `steps=${ours.steps} gap_forget=${fmt(gap('accuracy_forget'))} gap_retain=${fmt(gap('accuracy_retain'))} gap_test=${fmt(gap('accuracy_test'))} ` +
      `gap_average=${fmt(ours.gap_average)} test_acc=${fmt(ours.accuracy_test)} retrain_test_acc=${fmt(ref.accuracy_test)} forget_acc=${fmt(ours.accuracy_forget)} retrain_forget_acc=${fmt(ref.accuracy_forget)}`,
    );
  });
  console.log(`# tables and reports: ${outcome.files.markdown}, ${outcome.files.index}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
