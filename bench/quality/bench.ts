// bench/quality: is fine-tuning the encoder worth it? On each built-in dataset (spamassassin,
// sotu, brown) the fine-tuned encoder against a TF-IDF + logistic-regression baseline
// (bench/quality/tfidf.py, scikit-learn on Debian's /usr/bin/python3) on the SAME split: the
// project's own split (seed 42), the same train rows for both sides, the same test rows, both
// scored with src/eval/classification.ts (test accuracy and macro-F1; the baseline's
// predictions come back to this process and are scored here too, so both sides share one
// macro-F1 definition).
//
// The model side is `deepcut finetune`'s path (finetuneToFolder: loadPretrained with a fresh
// head, AdamW with warm-up/decay, best validation epoch restored, test scored with predict),
// for any encoder folder loadPretrained knows, by default with the demo's recipe (src/cli/commands/demo.ts:
// a linear probe then 1 epoch, batch 16, 64 tokens, lr 1e-4, the encoder's dropout).
//
// One line per dataset, then a summary line; quality.json in --out holds every figure, the
// recipe, the thread settings and the machine load. At full size this is three fine-tunes of
// the default encoder (about 45-60 min on 2 cores); the TF-IDF side alone (--tfidf-only) took
// 5 min on the shared 2-core machine, most of it the C=100 fits of sotu and brown (--tfidf-c 10: 2 min).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, datasetHash, listBuiltinDatasets, loadDataset, rngFor, shuffled, splitOf, type Dataset, type Example } from '../../src/data';
import { classificationReport } from '../../src/eval/classification';
import { writeFileAtomic } from '../../src/io/atomic';
import { DEFAULT_ENCODER } from '../../src/model/default-encoder';
import { startProgress } from '../../src/cli/progress';
import type { FinetuneRecord, FinetuneSettings } from '../../src/train/run';
import { finetuneSettingsSchema } from '../../src/train/record';
import { intFlag } from '../common/flags';

const repoRoot = path.resolve(__dirname, '../../..');
const TFIDF_SCRIPT = path.join(repoRoot, 'bench/quality/tfidf.py');
/** Debian's python3 with python3-sklearn (the python3 first on PATH may be another interpreter). */
const SKLEARN_PYTHON = '/usr/bin/python3';
const SPLIT_SEED = DEFAULT_SEED; // 42: the split every other command uses by default
const JOB_FILE = 'bench-quality-job.json'; // inside an unfinished model folder; replaced with it when the fine-tune ends

const HELP = `usage: node dist/bench/quality/bench.js [options]   (npm run bench:quality -- [options])
  --datasets LIST    comma-separated built-in datasets (default ${listBuiltinDatasets('sequence').join(',')}: the text classifiers, which TF-IDF + LR can be compared with)
  --model DIR        encoder folder to fine-tune (default ${path.relative(repoRoot, DEFAULT_ENCODER)})
  --epochs N         fine-tune epochs (default 1, the demo's; no early stopping, best validation epoch kept)
  --max-length N     tokens per text (default 64, the demo's)
  --batch N          fine-tune batch size (default 16)
  --lr X             fine-tune peak learning rate (default 1e-4)
  --dropout P        dropout for the fine-tune (hidden, attention, classifier) instead of the encoder's own,
                     as \`deepcut finetune --dropout\` (the long-text recipe: 0 with --lr 5e-4)
  --no-probe         fine-tune a fresh head from the start (default: the linear probe first, as the demo)
  --seed N           training seed; also picks the --train-limit rows (default 0)
  --tfidf-only       skip fine-tuning: the TF-IDF baseline alone (about 5 min on 2 cores)
  --tfidf-c X        fix the baseline's C instead of picking it from 1, 10, 100 by validation accuracy
  --train-limit N    use only N seeded-random train rows, both sides (a quick look; marked on every line)
  --out DIR          output folder: DATASET/ model folders and quality.json (default runs/bench-quality)
  --resume           reuse finished fine-tunes in --out recorded with the same recipe and data, continue
                     interrupted ones from their last epoch (without it, earlier ones are replaced)`;

const STRING_FLAGS = ['datasets', 'model', 'epochs', 'max-length', 'batch', 'lr', 'dropout', 'seed', 'train-limit', 'tfidf-c', 'out'] as const;
type Flags = Partial<Record<(typeof STRING_FLAGS)[number], string>> & { 'tfidf-only'?: boolean; 'no-probe'?: boolean; resume?: boolean; help?: boolean };

function parseFlags(): Flags {
  try {
    return parseArgs({
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((k) => [k, { type: 'string' as const }])),
        'tfidf-only': { type: 'boolean' },
        'no-probe': { type: 'boolean' },
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

const f4 = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(4) : '-');
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sorted-key JSON, to compare recorded settings regardless of key order. */
const canonical = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) =>
  x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x);

interface TfidfOutput {
  accuracy: number; macro_f1: number; C: number; validation: Record<string, { accuracy: number; macro_f1: number }>;
  predictions: number[]; train: number; validation_rows: number; test: number; features: number; seconds: number;
}

interface Scores { accuracy: number; macro_f1: number }

interface DatasetResult {
  dataset: string;
  labels: string[];
  rows: { train: number; train_used: number; validation: number; test: number };
  train_hash: string;
  tfidf: Scores & { C: number; validation: TfidfOutput['validation']; features: number; fit_seconds: number; wall_seconds: number; sklearn_macro_f1: number };
  /** wall_seconds: finetuneToFolder's, i.e. of the last process only when `continued` (resumed from a checkpoint). */
  model?: Scores & { folder: string; wall_seconds: number; best_epoch: number; steps: number; epochs: FinetuneRecord['epochs']; reused: boolean; continued: boolean };
}

function sklearnAvailable(): boolean {
  try {
    execFileSync(SKLEARN_PYTHON, ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Rows of the split, train cut to --train-limit seeded-random rows (validation and test untouched). */
function limitTrain(ds: Dataset, limit: number | undefined, seed: number): Dataset {
  const train = splitOf(ds, 'train');
  if (limit === undefined || limit >= train.length) return ds;
  const keep = new Set(shuffled(train.map((e) => e.id), rngFor(seed, 'bench-quality-train-limit')).slice(0, limit));
  return { ...ds, examples: ds.examples.filter((e) => e.split !== 'train' || keep.has(e.id)) };
}

function runTfidf(ds: Dataset, test: readonly Example[], fixedC: number | undefined): DatasetResult['tfidf'] {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-bench-quality-'));
  try {
    const file = path.join(dir, `${ds.name}.jsonl`);
    // Label = index into ds.labels, as on the model side.
    fs.writeFileSync(file, (['train', 'validation', 'test'] as const).flatMap((split) => splitOf(ds, split).map((e) => `${JSON.stringify({ text: e.text, label: e.label, split })}\n`)).join(''));
    const stdout = execFileSync(SKLEARN_PYTHON, [TFIDF_SCRIPT, file, ...(fixedC === undefined ? [] : ['--C', String(fixedC)])], { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '') as TfidfOutput;
    if (r.predictions.length !== test.length) throw new Error(`tfidf.py returned ${r.predictions.length} test predictions for ${test.length} test rows`);
    const report = classificationReport(test.map((e) => e.label), r.predictions, ds.labels.length);
    // Same definition on both sides (classes in truth or prediction): the two must agree.
    if (Math.abs(report.accuracy - r.accuracy) > 1e-9 || Math.abs(report.macroF1 - r.macro_f1) > 1e-9) {
      throw new Error(`${ds.name}: sklearn says accuracy ${r.accuracy}, macro-F1 ${r.macro_f1}; src/eval says ${report.accuracy}, ${report.macroF1}`);
    }
    return {
      accuracy: report.accuracy, macro_f1: report.macroF1, sklearn_macro_f1: r.macro_f1, C: r.C, validation: r.validation, features: r.features,
      fit_seconds: r.seconds, wall_seconds: (Date.now() - started) / 1000,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface ModelJob { base_model: string; dataset: string; split_seed: number; hyperparameters: FinetuneSettings; data_hash: string }

async function runModel(ds: Dataset, job: ModelJob, folder: string, resume: boolean, label: string): Promise<NonNullable<DatasetResult['model']>> {
  const trainJson = path.join(folder, 'train.json');
  const jobFile = path.join(folder, JOB_FILE);
  const sameJob = (r: ModelJob) => canonical(r) === canonical(job);
  const scores = (r: FinetuneRecord, reused: boolean, continued = false) => ({
    accuracy: r.test.accuracy, macro_f1: r.test.macro_f1, folder, wall_seconds: r.wall_seconds, best_epoch: r.best_epoch, steps: r.steps, epochs: r.epochs, reused, continued,
  });
  let continuing = false;
  if (fs.existsSync(folder) && fs.readdirSync(folder).length > 0) {
    const ours = fs.existsSync(trainJson) || fs.existsSync(jobFile);
    if (!ours) throw new Error(`${folder} exists and is not a bench/quality model folder (no train.json or ${JOB_FILE}); choose another --out`);
    if (resume && fs.existsSync(trainJson)) {
      const r = JSON.parse(fs.readFileSync(trainJson, 'utf8')) as FinetuneRecord;
      // Records hold the base relative to the folder (base_model_absolute beside it) and snake_case
      // settings; older ones an absolute path and camelCase. Compare in the job's own terms.
      const base = r.base_model_absolute ?? (path.isAbsolute(r.base_model) ? r.base_model : path.resolve(folder, r.base_model));
      const recorded: ModelJob = { base_model: base, dataset: r.dataset, split_seed: r.split_seed, hyperparameters: { ...finetuneSettingsSchema.parse(r.hyperparameters), seed: r.seed }, data_hash: r.data_hash };
      if (!sameJob(recorded)) throw new Error(`--resume: ${trainJson} was recorded with another encoder, recipe or train set (drop --resume to redo it)\n  recorded: ${canonical(recorded)}\n  this run: ${canonical(job)}`);
      console.log(`# ${ds.name}: reusing the finished fine-tune in ${folder}`);
      return scores(r, true);
    }
    if (resume && fs.existsSync(path.join(folder, 'checkpoint'))) {
      const recorded = JSON.parse(fs.readFileSync(jobFile, 'utf8')) as ModelJob;
      if (!sameJob(recorded)) throw new Error(`--resume: the interrupted fine-tune in ${folder} has another encoder, recipe or train set (drop --resume to redo it)`);
      continuing = true;
      console.log(`# ${ds.name}: continuing the interrupted fine-tune in ${folder}`);
    } else {
      console.log(`# ${ds.name}: replacing the earlier fine-tune in ${folder}`);
      fs.rmSync(folder, { recursive: true, force: true });
    }
  }
  fs.mkdirSync(folder, { recursive: true });
  writeFileAtomic(jobFile, `${JSON.stringify(job, null, 2)}\n`);
  const { finetuneToFolder } = await import('../../src/train/run');
  const s = job.hyperparameters;
  const progress = startProgress(`  ${label}`, Math.ceil(splitOf(ds, 'train').length / s.batchSize) * s.epochs, ['epoch', 'loss']);
  const record = finetuneToFolder({
    base: job.base_model, dataset: ds, out: folder, settings: s, splitSeed: SPLIT_SEED, resume: continuing,
    onStep: ({ step, epoch, loss }) => progress.update(step, { epoch, loss: loss.toFixed(4) }),
  });
  progress.stop();
  for (const e of record.epochs) {
    console.log(`# ${ds.name} epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)}, validation accuracy ${f4(e.validationAccuracy)}, macro-F1 ${f4(e.validationMacroF1)} (${e.seconds.toFixed(0)} s)`);
  }
  return scores(record, false, continuing);
}

function threadInfo(libtorchThreads: number | null) {
  const env = Object.fromEntries(['DEEPCUT_THREADS', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'OMP_WAIT_POLICY', 'DEEPCUT_CPU_CACHE_MB'].map((k) => [k, process.env[k] ?? null]));
  return { cores: os.availableParallelism(), libtorch_threads: libtorchThreads, env };
}

async function main(): Promise<void> {
  const flags = parseFlags();
  if (flags.help) {
    console.log(HELP);
    return;
  }
  const started = new Date();
  const loadStart = os.loadavg();
  const known = listBuiltinDatasets('sequence');
  const datasets = (flags.datasets ?? known.join(',')).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const d of datasets) if (!known.includes(d)) throw new Error(`--datasets: '${d}' is not a built-in dataset (${known.join(', ')})`);
  if (new Set(datasets).size !== datasets.length) throw new Error(`--datasets lists a dataset twice: ${flags.datasets}`);
  const tfidfOnly = Boolean(flags['tfidf-only']);
  const seed = int(flags.seed, 'seed', 0, 0);
  const trainLimit = flags['train-limit'] === undefined ? undefined : int(flags['train-limit'], 'train-limit', 0);
  const fixedC = flags['tfidf-c'] === undefined ? undefined : Number(flags['tfidf-c']);
  if (fixedC !== undefined && !(fixedC > 0)) throw new Error(`--tfidf-c must be a positive number, got '${flags['tfidf-c']}'`);
  const out = path.resolve(flags.out ?? path.join('runs', 'bench-quality'));
  const modelDir = path.resolve(flags.model ?? DEFAULT_ENCODER);
  const rel = path.relative(repoRoot, modelDir);
  const encoderName = rel.startsWith('..') || path.isAbsolute(rel) ? modelDir : rel;

  let settings: FinetuneSettings | undefined;
  let libtorch: { version: string; threads: number } | undefined;
  if (!tfidfOnly) {
    // Any folder loadPretrained can load (its own errors say what is missing).
    if (!fs.statSync(modelDir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`--model ${modelDir}: no such folder`);
    // The demo's recipe: its config parsed the way `deepcut demo` parses it (defaults filled in).
    const [{ demoConfig }, engine] = await Promise.all([import('../../src/cli/commands/demo'), import('../../src/engine')]);
    const demo = demoConfig(path.join(out, 'unused')).finetune;
    const epochs = int(flags.epochs, 'epochs', demo.epochs);
    const lr = flags.lr === undefined ? demo.lr : Number(flags.lr);
    if (!(lr > 0)) throw new Error(`--lr must be a positive number, got '${flags.lr}'`);
    settings = {
      epochs, batchSize: int(flags.batch, 'batch', demo.batchSize), lr, weightDecay: demo.weightDecay, warmupFraction: demo.warmupFraction,
      maxLength: int(flags['max-length'], 'max-length', demo.maxLength, 3),
      // The demo's patience equals its epochs (no early stopping); keep that for any --epochs.
      patience: Math.max(demo.patience, epochs), seed,
      // The demo's (and `deepcut finetune`'s) linear probe first: without it a fresh head at the
      // long-text rate (5e-4) collapsed to SOTU's majority class on 2,000 rows (43.1%, docs/results.md).
      ...(demo.linearProbe !== undefined ? { linearProbe: flags['no-probe'] ? false : demo.linearProbe } : {}),
    };
    if (flags.dropout !== undefined) {
      const dropout = Number(flags.dropout);
      if (!(dropout >= 0 && dropout < 1)) throw new Error(`--dropout must be in [0, 1), got '${flags.dropout}'`);
      settings.dropout = dropout;
    }
    libtorch = { version: engine.torchVersion(), threads: engine.getNumThreads() };
  } else {
    for (const k of ['model', 'epochs', 'max-length', 'batch', 'lr', 'dropout', 'resume'] as const) if (flags[k] !== undefined) console.log(`# --${k} has no effect with --tfidf-only`);
  }
  if (!sklearnAvailable()) throw new Error(`scikit-learn is not installed for ${SKLEARN_PYTHON}: DEEPCUT_WITH_SKLEARN=1 bash scripts/setup.sh (Debian's python3-sklearn)`);

  const threads = threadInfo(libtorch?.threads ?? null);
  console.log(
    `# bench/quality: ${datasets.join(', ')}; split seed ${SPLIT_SEED}; TF-IDF (1-2 grams, sublinear tf, min_df 2) + logistic regression (${fixedC === undefined ? 'C from {1, 10, 100} on validation' : `C=${fixedC}`})` +
    (settings ? ` vs ${encoderName} fine-tuned ${settings.epochs} epochs, batch ${settings.batchSize}, lr ${settings.lr}, max length ${settings.maxLength}, seed ${seed}; libtorch ${libtorch!.version}, ${libtorch!.threads} threads` : '; --tfidf-only: no fine-tuning'),
  );
  console.log(`# ${threads.cores} cores, load average at start ${loadStart.map((x) => x.toFixed(2)).join(' ')}; output ${out}`);
  if (trainLimit !== undefined) console.log(`# --train-limit ${trainLimit}: both sides train on at most ${trainLimit} seeded-random train rows (validation and test are whole): NOT full-data figures`);

  const results: DatasetResult[] = [];
  const recipe = settings ? { encoder: modelDir, ...settings, split_seed: SPLIT_SEED, train_limit: trainLimit ?? null } : null;
  const writeJson = (finished: boolean) => {
    const summary = summarize(results);
    writeFileAtomic(path.join(out, 'quality.json'), `${JSON.stringify({
      started: started.toISOString(), finished: finished ? new Date().toISOString() : null, datasets, tfidf_only: tfidfOnly,
      split_seed: SPLIT_SEED, train_limit: trainLimit ?? null, recipe,
      tfidf: { vectorizer: { ngram_range: [1, 2], sublinear_tf: true, min_df: 2 }, classifier: { kind: 'LogisticRegression', max_iter: 2000, ...(fixedC === undefined ? { C_grid: [1, 10, 100], C_choice: 'validation accuracy, ties to the smaller C' } : { C: fixedC, C_choice: '--tfidf-c' }) }, python: SKLEARN_PYTHON },
      libtorch: libtorch ?? null, threads, machine: { cores: threads.cores, loadavg_start: loadStart, loadavg_now: os.loadavg() },
      results, summary,
    }, null, 2)}\n`);
  };

  for (const [i, name] of datasets.entries()) {
    const full = await loadDataset(name, { seed: SPLIT_SEED });
    const ds = limitTrain(full, trainLimit, seed);
    const train = splitOf(ds, 'train');
    const test = splitOf(ds, 'test');
    console.log(`# [${i + 1}/${datasets.length}] ${name}: ${ds.labels.length} classes; train ${train.length}${train.length < splitOf(full, 'train').length ? ` of ${splitOf(full, 'train').length}` : ''}, validation ${splitOf(ds, 'validation').length}, test ${test.length}`);
    const tfidf = runTfidf(ds, test, fixedC);
    const picked = fixedC === undefined ? `validation accuracy ${Object.entries(tfidf.validation).map(([c, v]) => `C=${c}: ${f4(v.accuracy)}`).join(', ')}` : 'fixed by --tfidf-c';
    console.log(`# ${name} tfidf: C=${tfidf.C} (${picked}), ${tfidf.features} features, ${tfidf.wall_seconds.toFixed(1)} s`);
    const result: DatasetResult = {
      dataset: name, labels: [...ds.labels],
      rows: { train: splitOf(full, 'train').length, train_used: train.length, validation: splitOf(ds, 'validation').length, test: test.length },
      train_hash: datasetHash(train), tfidf,
    };
    if (settings) {
      const job: ModelJob = { base_model: modelDir, dataset: ds.name, split_seed: SPLIT_SEED, hyperparameters: settings, data_hash: result.train_hash };
      result.model = await runModel(ds, job, path.join(out, name), Boolean(flags.resume), `${name} fine-tuning`);
    }
    results.push(result);
    writeJson(false);
    const m = result.model;
    console.log(
      `dataset=${name} model_acc=${f4(m?.accuracy)} model_f1=${f4(m?.macro_f1)} tfidf_acc=${f4(tfidf.accuracy)} tfidf_f1=${f4(tfidf.macro_f1)} ` +
      `model_seconds=${m ? m.wall_seconds.toFixed(1) : '-'} encoder=${settings ? encoderName : '-'} epochs=${settings?.epochs ?? '-'} max_length=${settings?.maxLength ?? '-'}` +
      (trainLimit !== undefined ? ` train_limit=${trainLimit}` : ''),
    );
  }
  writeJson(true);
  const s = summarize(results);
  console.log(
    `summary datasets=${results.length} mean_model_acc=${f4(s.mean_model_acc)} mean_model_f1=${f4(s.mean_model_f1)} mean_tfidf_acc=${f4(s.mean_tfidf_acc)} mean_tfidf_f1=${f4(s.mean_tfidf_f1)} ` +
    `acc_ratio=${f4(s.acc_ratio)} f1_ratio=${f4(s.f1_ratio)} model_wins_f1=${s.model_wins_f1 ?? '-'} model_seconds=${s.model_seconds?.toFixed(1) ?? '-'} tfidf_seconds=${s.tfidf_seconds.toFixed(1)}` +
    (trainLimit !== undefined ? ` train_limit=${trainLimit}` : ''),
  );
  console.log(`# acc_ratio, f1_ratio: mean over datasets of model / tfidf; model_wins_f1: datasets where the model's macro-F1 is higher; figures in ${path.join(out, 'quality.json')}`);
}

function summarize(results: readonly DatasetResult[]) {
  const withModel = results.filter((r) => r.model);
  const all = withModel.length === results.length && results.length > 0;
  const m = (pick: (r: DatasetResult) => number) => (all ? mean(results.map(pick)) : undefined);
  return {
    mean_tfidf_acc: results.length ? mean(results.map((r) => r.tfidf.accuracy)) : undefined,
    mean_tfidf_f1: results.length ? mean(results.map((r) => r.tfidf.macro_f1)) : undefined,
    mean_model_acc: m((r) => r.model!.accuracy),
    mean_model_f1: m((r) => r.model!.macro_f1),
    acc_ratio: m((r) => r.model!.accuracy / r.tfidf.accuracy),
    f1_ratio: m((r) => r.model!.macro_f1 / r.tfidf.macro_f1),
    model_wins_f1: all ? `${results.filter((r) => r.model!.macro_f1 > r.tfidf.macro_f1).length}/${results.length}` : undefined,
    model_seconds: all ? results.reduce((a, r) => a + r.model!.wall_seconds, 0) : undefined,
    tfidf_seconds: results.reduce((a, r) => a + r.tfidf.wall_seconds, 0),
  };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
