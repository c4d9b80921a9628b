// `deepcut eval`: measure a model's unlearning of a forget set — accuracy and macro-F1 on
// forget/retain/test, membership inference, latent geometry, and with --reference (the
// retrained model) the gaps to it — into OUT/metrics.json and OUT/report.html.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_SEED, FORGET_SPEC_SYNTAX, isTagging, loadDataset, resolveForgetSet, splitOf, type Dataset } from '../../data';
import { DEFAULT_RETAIN_SAMPLE, evaluateModel, latentProjection, type ModelMetrics, type UnlearningMetrics } from '../../eval/evaluate';
import { detectModelKind, loadScorable, type LoadedScorable } from '../../eval/scorable';
import { writeFileAtomic } from '../../io/atomic';
import { evaluationReportInput, stoppingTimelineOf, writeReport, type RecordedStopping } from '../../report';
import { UNLEARN_RECORD } from '../../methods/unlearn';
import { torchVersion, getNumThreads } from '../../engine';
import { FINETUNE_DEFAULTS } from '../../train/finetune';
import { readTrainRecord, type TrainRecord } from '../../train/record';
import { recordedRecipe } from '../../methods/recipe';
import { idSetHash } from '../../data/hash';
import { samplesJsonl, SAMPLES_FILE } from '../../eval/samples';
import { sha256File } from '../../provenance/hash';
import { provenance, relativePath, type Provenance } from '../../provenance/info';
import { appendLedger, readLedgerLines } from '../../provenance/ledger';
import { forgottenIds, readLineage } from '../../provenance/lineage';
import { startProgress, type Progress } from '../progress';
import { positiveInt, nonNegativeInt, positiveNumber, parseFlag, CliError } from '../args';
import { DEVICE_HELP, deviceFlag, deviceLine } from '../device';
import type { Device } from '../../engine/device';
import { AUDIT_ATTACK_NAMES, type AuditAttack } from '../../eval/membership-audit';
import { auditScorable, parseAuditAttacks, prepareAudit, type AuditSetup, type PreparedAudit } from '../../eval/audit-run';
import { checkRelearnSteps, DEFAULT_RELEARN_STEPS, relearnCheck, type RelearnOptions } from '../../eval/relearn';

export const METRICS_FILE = 'metrics.json';
export const REPORT_FILE = 'report.html';
export const EVAL_BATCH_SIZE = 32;

interface EvalFlags {
  model: string; data: string; forget: string; reference?: string; out: string; retainSample: string;
  maxLength?: string; batch: string; splitSeed?: string; seed: string; overwrite?: boolean; ledger?: boolean; device: string;
  audit?: string; references?: string[]; auditReferences?: string; relearn?: string | boolean; relearnLr?: string;
}

/** The references folder the model's unlearning run took its target from (unlearn.json), if any. */
function referencesOfRun(modelDir: string): string | undefined {
  const file = path.join(modelDir, UNLEARN_RECORD);
  if (!fs.existsSync(file)) return undefined;
  const dir = (JSON.parse(fs.readFileSync(file, 'utf8')) as { target?: { estimate?: { references?: unknown } } }).target?.estimate?.references;
  return typeof dir === 'string' && fs.existsSync(dir) ? dir : undefined;
}

function relearnSteps(value: string | boolean | undefined): number[] | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return [...DEFAULT_RELEARN_STEPS];
  return parseFlag(() => checkRelearnSteps(value.split(',').map((v) => Number(v.trim())), `--relearn ${value}`));
}

/** A model folder `deepcut eval` can read, or a CliError naming the flag and the problem. */
function checkModelDir(dir: string, flag: string): string {
  const root = path.resolve(dir);
  if (!fs.existsSync(root)) throw new CliError(`${flag} ${dir}: no such folder`);
  if (!fs.statSync(root).isDirectory()) throw new CliError(`${flag} ${dir}: not a folder`);
  if (detectModelKind(root) === undefined) throw new CliError(`${flag} ${dir}: not a model folder (no config.json of a Hugging Face model)`);
  if (!fs.existsSync(path.join(root, 'tokenizer.json'))) throw new CliError(`${flag} ${dir}: no tokenizer.json (the model's tokenizer is needed to score texts)`);
  return root;
}

function loadChecked(dir: string, flag: string, ds: Dataset, device: Device): LoadedScorable {
  const loaded = loadScorable(dir, { device });
  const labels = loaded.scorable.labels;
  if (labels.length !== ds.labels.length || labels.some((label, i) => label !== ds.labels[i])) {
    loaded.scorable.dispose();
    throw new CliError(`${flag} ${dir}: the model's labels [${labels.join(', ')}] (config.json id2label) do not match dataset ${ds.name}'s labels [${ds.labels.join(', ')}]`);
  }
  return loaded;
}

/** dir: relative to metrics.json's folder; dir_absolute: where it was. hash: the manifest hash (docs/provenance.md). */
interface ModelIdentity { hash: string; kind: string; dir: string; dir_absolute: string; generation: number }

/** metrics.json: the library's metrics plus provenance (strings are skipped by flattenMetrics). */
export interface MetricsFile extends Omit<UnlearningMetrics, 'forget' | 'model' | 'reference_model'> {
  /** previously_forgotten: what the model's lineage forgot before (kept out of the retain set too). */
  forget: UnlearningMetrics['forget'] & { spec: string; previously_forgotten: { count: number; hash: string } };
  model: ModelIdentity;
  reference_model?: ModelIdentity & { forgotten: { count: number; hash: string } };
  data: { name: string; split_seed: number };
  settings: { max_length: number; batch_size: number; retain_sample: number; seed: number };
  /** How the per-example audit was run (eval --audit), its cost included. */
  audit_setup?: AuditSetup;
  provenance: Provenance;
}

const percent = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a');
const score = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');

function summaryLine(name: string, m: ModelMetrics): string {
  const audit = Object.entries(m.audit ?? {}).map(([attack, a]) => `; ${AUDIT_ATTACK_NAMES[attack as AuditAttack]} AUC ${score(a.auc)}, TPR at 1% FPR ${percent(a.tpr_at_1pct_fpr)}, at 0.1% ${percent(a.tpr_at_0_1pct_fpr)}`);
  const subjects = m.subjects ? ` (the forget set's subjects' own test rows ${percent(m.subjects.test_accuracy)})` : '';
  return `${name}: accuracy forget ${percent(m.accuracy.forget)} | retain ${percent(m.accuracy.retain)} | test ${percent(m.accuracy.test)}${subjects}; ` +
    `test macro-F1 ${score(m.macro_f1.test)}; MIA loss AUC ${score(m.mia.loss_auc)}, efficacy ${score(m.mia.efficacy)}${audit.join('')}`;
}

/** train.json's wall_seconds (time to produce the model), if recorded. */
function recordedSeconds(record: TrainRecord | undefined): { wallSeconds: number } | Record<string, never> {
  const seconds = record?.wall_seconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? { wallSeconds: seconds } : {};
}

/** The model's stopping checks when it came from a loss-based unlearning run (its unlearn.json). */
function stoppingOf(modelDir: string, retrainForgetAccuracy: number | undefined): { stopping: NonNullable<ReturnType<typeof stoppingTimelineOf>> } | Record<string, never> {
  const file = path.join(modelDir, UNLEARN_RECORD);
  if (!fs.existsSync(file)) return {};
  const timeline = stoppingTimelineOf(JSON.parse(fs.readFileSync(file, 'utf8')) as RecordedStopping, retrainForgetAccuracy !== undefined ? { retrainForgetAccuracy } : {});
  return timeline ? { stopping: timeline } : {};
}

/**
 * Warnings about a reference that was not trained without exactly what the evaluated model has
 * forgotten: its lineage's union (excluded at training ∪ deletions) must equal the model's past
 * deletions ∪ this forget set. A reference from before lineages is read through train.json/forget.json.
 */
function referenceWarnings(dir: string, expected: { count: number; hash: string }, splitSeed: number, record: TrainRecord | undefined): string[] {
  const out: string[] = [];
  const forgotten = readLineage(dir).forgotten;
  if (forgotten.count === 0) out.push(`the reference was trained without leaving out a forget set (${dir} records none)`);
  else if (forgotten.hash !== expected.hash) out.push(`the reference left out a different set (${forgotten.count} records, hash ${forgotten.hash.slice(0, 12)}…) than the model has forgotten with this request (${expected.count} records, hash ${expected.hash.slice(0, 12)}…)`);
  const recipe = recordedRecipe(dir);
  const seed = record?.split_seed ?? recipe.splitSeed;
  if (seed !== undefined && seed !== splitSeed) out.push(`the reference used split seed ${seed} (${dir}), this evaluation ${splitSeed}`);
  return out;
}

function progressFor(label: string): { progress: (done: number, total: number) => void; stop: () => void } {
  let bar: Progress | undefined;
  return {
    progress(done, total) {
      bar ??= startProgress(label, total);
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('measure unlearning: accuracy, macro-F1, membership inference and latent geometry on forget/retain/test; gaps to a reference (retrained) model')
    .requiredOption('--model <dir>', 'model folder to evaluate (Hugging Face format, with tokenizer.json)')
    .requiredOption('--data <name|file>', 'built-in dataset (spamassassin, sotu, brown) or a .jsonl/.csv file')
    .requiredOption('--forget <spec>', `the forget set (${FORGET_SPEC_SYNTAX})`)
    .option('--reference <dir>', 'the reference model, normally retrained without the forget set (`deepcut finetune --forget`)')
    .requiredOption('--out <dir>', 'output folder for metrics.json and report.html')
    .option('--retain-sample <n>', 'retain examples to score, seeded sample (0 = all)', String(DEFAULT_RETAIN_SAMPLE))
    .option('--max-length <n>', "tokens per text (default: the model's train.json or sisa.json, else 128)")
    .option('--batch <n>', 'examples per forward pass', String(EVAL_BATCH_SIZE))
    .option('--split-seed <n>', `seed of the data split and random: forget sets (default: the model's train.json, else ${DEFAULT_SEED})`)
    .option('--seed <n>', 'seed of the retain sample, MIA folds and plotted background points', '0')
    .option('--overwrite', 'write into a non-empty --out folder (replacing metrics.json and report.html)')
    .option('--ledger', "append the result as a 'verification' entry to the model's ledger.jsonl (the only change eval makes to a model folder)")
    .option('--audit <attacks>', "per-example membership audit with reference models: rmia, lira or rmia,lira (AUC and TPR at 1% and 0.1% FPR, forget vs test, for the model and the reference)")
    .option('--references <dirs...>', "`deepcut references` folders for --audit (default: the one the model's unlearning run used, from its unlearn.json)")
    .option('--audit-references <n>', 'reference models per audited row (default: all that never saw it, K - 1 of K)')
    .option('--relearn [steps]', `relearning check: fine-tune a copy on half the forget set, score the other half after these step counts (default ${DEFAULT_RELEARN_STEPS.join(',')}); the reference is relearned the same way`)
    .option('--relearn-lr <lr>', "relearning rate (default: the model's recorded fine-tuning rate)")
    .option('--device <device>', DEVICE_HELP, 'auto')
    .action(async (f: EvalFlags) => {
      const started = Date.now();
      const out = path.resolve(f.out);
      const modelDir = checkModelDir(f.model, '--model');
      const referenceDir = f.reference !== undefined ? checkModelDir(f.reference, '--reference') : undefined;
      if (out === modelDir || out === referenceDir) throw new CliError('--out must differ from the model folders (they are never modified)');
      if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new CliError(`--out ${f.out} exists and is not a folder`);
      if (fs.existsSync(out) && fs.readdirSync(out).length > 0 && !f.overwrite) throw new CliError(`--out ${f.out} exists and is not empty (pass --overwrite to replace it)`);
      const record = readTrainRecord(modelDir);
      const referenceRecord = referenceDir !== undefined ? readTrainRecord(referenceDir) : undefined;
      const recipe = recordedRecipe(modelDir);
      const maxLength = f.maxLength !== undefined ? positiveInt(f.maxLength, '--max-length') : recipe.maxLength ?? FINETUNE_DEFAULTS.maxLength;
      const splitSeed = f.splitSeed !== undefined ? nonNegativeInt(f.splitSeed, '--split-seed') : recipe.splitSeed ?? DEFAULT_SEED;
      const options = {
        maxLength, batchSize: positiveInt(f.batch, '--batch'),
        retainSample: nonNegativeInt(f.retainSample, '--retain-sample'), seed: nonNegativeInt(f.seed, '--seed'),
      };
      const attacks = f.audit !== undefined ? parseFlag(() => parseAuditAttacks(f.audit!, '--audit')) : undefined;
      const auditPerRow = f.auditReferences !== undefined ? positiveInt(f.auditReferences, '--audit-references') : undefined;
      if (attacks === undefined && (f.references !== undefined || auditPerRow !== undefined)) throw new CliError('--references and --audit-references are options of --audit');
      const referencesDirs = attacks === undefined ? [] : f.references ?? [referencesOfRun(modelDir)].filter((d): d is string => d !== undefined);
      if (attacks !== undefined && referencesDirs.length === 0) {
        throw new CliError(`--audit needs reference models: pass --references DIR (train them with 'deepcut references --model ORIGINAL --data ${f.data} --k 4 --out DIR'); ${modelDir} has no unlearn.json naming any`);
      }
      const steps = relearnSteps(f.relearn);
      if (steps === undefined && f.relearnLr !== undefined) throw new CliError('--relearn-lr is an option of --relearn');
      const device = deviceFlag(f.device); // after the other flags: 'auto' loads the addon

      console.log(`deepcut eval: libtorch ${torchVersion()}, ${getNumThreads()} threads, ${deviceLine(device)}; max length ${maxLength}, split seed ${splitSeed}`);
      const ds = await loadDataset(f.data, { seed: splitSeed, log: (line: string) => console.log(line) });
      // The audit's reference models are text classifiers trained by 'deepcut references' (per-request targets).
      if (attacks !== undefined && isTagging(ds)) throw new CliError(`--audit is for text classifiers; ${f.data} is a tagging dataset (its membership inference is the per-sentence mia.* in metrics.json)`);
      const forgetSet = resolveForgetSet(ds, f.forget, { seed: splitSeed });
      // A later generation: what its lineage forgot before stays out of the retain set too.
      const lineage = readLineage(modelDir);
      const forgotten = new Set(forgetSet.ids);
      const earlier = forgottenIds(lineage).filter((id) => !forgotten.has(id));
      const union = new Set([...earlier, ...forgotten]);
      const unionSummary = { count: union.size, hash: idSetHash(union) };
      const previously = { count: earlier.length, hash: idSetHash(earlier) };
      const notes = lineage.notes ?? [];
      notes.forEach((n) => console.log(`note: ${n}`));
      if (earlier.length > 0) console.log(`lineage: generation ${lineage.generation}; ${earlier.length} records forgotten before are left out of the retain set too`);
      const warnings = [...forgetSet.warnings, ...referenceDir !== undefined ? referenceWarnings(referenceDir, unionSummary, splitSeed, referenceRecord) : []];
      warnings.forEach((w) => console.warn(`warning: ${w}`));
      const forget = splitOf(ds, 'train').filter((e) => forgotten.has(e.id));
      const retain = splitOf(ds, 'train').filter((e) => !union.has(e.id));

      const model = loadChecked(modelDir, '--model', ds, device);
      let reference: LoadedScorable | undefined;
      try {
        reference = referenceDir !== undefined ? loadChecked(referenceDir, '--reference', ds, device) : undefined;
        const bars = { model: progressFor('scoring model'), reference: progressFor('scoring reference') };
        const result = evaluateModel({
          scorable: model.scorable, ...(reference ? { reference: reference.scorable, referenceHash: reference.hash } : {}),
          forget, retain, test: splitOf(ds, 'test'), options, modelHash: model.hash,
          onProgress: (which, done, total) => bars[which].progress(done, total),
        });
        bars.model.stop();
        bars.reference.stop();
        let auditSetup: AuditSetup | undefined;
        if (attacks !== undefined) {
          console.log(`audit: ${attacks.join(', ')} with the reference models in ${referencesDirs.join(', ')}`);
          const prepared: PreparedAudit = prepareAudit({
            attacks, dirs: referencesDirs, dataset: ds, splitSeed, forget: result.sets.forget, test: result.sets.test,
            maxLength, batchSize: options.batchSize, device, ...(auditPerRow !== undefined ? { perRow: auditPerRow } : {}),
            onReference: (i, n) => console.log(`audit: scoring reference model ${i + 1}/${n}`),
          });
          result.metrics.audit = auditScorable(prepared, model.scorable, result.model.scores, options);
          if (result.reference && reference) result.reference.metrics.audit = auditScorable(prepared, reference.scorable, result.reference.scores, options);
          auditSetup = prepared.setup;
          console.log(`audit: ${prepared.setup.reference_models} reference models, ${prepared.setup.references_per_row} per row, ${prepared.setup.reference_rows_scored} rows scored in ${prepared.setup.reference_seconds.toFixed(0)} s`);
        }
        if (steps !== undefined) {
          const relearn: RelearnOptions = {
            steps, lr: f.relearnLr !== undefined ? positiveNumber(f.relearnLr, '--relearn-lr') : recipe.settings?.lr ?? FINETUNE_DEFAULTS.lr,
            batchSize: recipe.settings?.batchSize ?? FINETUNE_DEFAULTS.batchSize, maxLength, seed: options.seed, device,
          };
          for (const [name, dir, metrics] of [[path.basename(modelDir), modelDir, result.metrics], ...(referenceDir !== undefined && result.reference ? [[path.basename(referenceDir), referenceDir, result.reference.metrics] as const] : [])] as const) {
            if (detectModelKind(dir) !== 'hf') {
              console.warn(`warning: --relearn: ${dir} is a SISA ensemble; the relearning check fine-tunes one model and is skipped for it`);
              continue;
            }
            const bar = progressFor(`relearning ${name}`);
            metrics.relearn = relearnCheck(dir, result.sets.forget, { ...relearn, onStep: (done, total) => bar.progress(done, total) });
            bar.stop();
            const r = metrics.relearn;
            console.log(`relearn ${name}: held-back forget accuracy ${steps.map((k) => `${k} steps ${percent(r.accuracy[String(k)]!)}`).join(', ')} (before: ${percent(r.accuracy['0']!)})`);
          }
        }

        const { model: _model, reference_model: _reference, ...measured } = result.metrics;
        const metrics: MetricsFile = {
          ...measured,
          forget: { ...result.metrics.forget, spec: forgetSet.spec, previously_forgotten: previously },
          model: { hash: model.hash, kind: model.kind, dir: relativePath(out, modelDir), dir_absolute: modelDir, generation: lineage.generation },
          ...(reference && referenceDir !== undefined ? {
            reference_model: {
              hash: reference.hash, kind: reference.kind, dir: relativePath(out, referenceDir), dir_absolute: referenceDir,
              generation: readLineage(referenceDir).generation, forgotten: readLineage(referenceDir).forgotten,
            },
          } : {}),
          data: { name: ds.name, split_seed: splitSeed },
          settings: { max_length: maxLength, batch_size: options.batchSize, retain_sample: options.retainSample, seed: options.seed },
          ...(auditSetup ? { audit_setup: auditSetup } : {}),
          wall_seconds: (Date.now() - started) / 1000, provenance: provenance({ device }),
        };
        const modelName = path.basename(modelDir);
        const referenceName = referenceDir !== undefined && path.basename(referenceDir) !== modelName ? path.basename(referenceDir) : `${modelName} (reference)`;
        const report = evaluationReportInput({
          title: `deepcut eval: ${modelName}`,
          dataset: ds.name,
          forget: { spec: forgetSet.spec, count: forget.length, hash: forgetSet.hash },
          labels: ds.labels,
          model: { name: modelName, metrics: result.metrics, latent: latentProjection(result.model.scores, { seed: options.seed }), ...recordedSeconds(record) },
          ...(result.reference
            ? { reference: { name: referenceName, metrics: result.reference.metrics, latent: latentProjection(result.reference.scores, { seed: options.seed }), ...recordedSeconds(referenceRecord) } }
            : {}),
          ...stoppingOf(modelDir, result.reference?.metrics.accuracy.forget),
          notes: [
            `Scored ${forget.length} forget, ${result.sets.retain.length} of ${result.sets.retainTotal} retain and ${result.sets.test.length} test examples (max length ${maxLength}).`,
            ...(earlier.length > 0 ? [`Generation ${lineage.generation}: ${earlier.length} records forgotten by earlier requests are left out of the retain set too.`] : []),
            ...warnings.map((w) => `Warning: ${w}`),
          ],
        });
        writeFileAtomic(path.join(out, METRICS_FILE), `${JSON.stringify(metrics, null, 2)}\n`);
        writeFileAtomic(path.join(out, SAMPLES_FILE), samplesJsonl(result.sets, result.model, ds.labels, result.reference));
        writeReport(path.join(out, REPORT_FILE), report);
        if (f.ledger) {
          const lines = readLedgerLines(modelDir);
          if (lines === undefined) console.warn(`warning: --ledger: ${modelDir} has no ledger.jsonl (written before ledgers); nothing appended`);
          else {
            appendLedger(modelDir, lines, {
              type: 'verification', model_hash: model.hash, forget: { spec: forgetSet.spec, count: forget.length, hash: forgetSet.hash },
              forgotten: unionSummary,
              reference: metrics.reference_model ? { dir: relativePath(modelDir, referenceDir!), manifest_hash: metrics.reference_model.hash, forgotten: metrics.reference_model.forgotten } : null,
              metrics: {
                accuracy: result.metrics.accuracy, mia_loss_auc: result.metrics.mia.loss_auc, mia_efficacy: result.metrics.mia.efficacy,
                ...(result.metrics.audit ? { audit: result.metrics.audit, ...(result.reference?.metrics.audit ? { reference_audit: result.reference.metrics.audit } : {}) } : {}),
                ...(result.metrics.gap ? { gap_average: result.metrics.gap.average, reference_accuracy: result.reference!.metrics.accuracy, reference_mia_loss_auc: result.reference!.metrics.mia.loss_auc } : {}),
              },
              warnings, settings: metrics.settings,
              metrics_file: { path: relativePath(modelDir, path.join(out, METRICS_FILE)), sha256: sha256File(path.join(out, METRICS_FILE)) },
              provenance: metrics.provenance,
            });
            console.log(`appended a verification entry to ${path.join(modelDir, 'ledger.jsonl')}`);
          }
        }

        console.log(summaryLine(modelName, result.metrics));
        if (result.reference && result.metrics.gap) {
          console.log(summaryLine(referenceName, result.reference.metrics));
          console.log(`gap.average ${score(result.metrics.gap.average)} (mean |Δ| of forget/retain/test accuracy and MIA loss AUC to the reference)`);
        }
        console.log(`wrote ${path.join(out, METRICS_FILE)} and ${REPORT_FILE} (${metrics.wall_seconds.toFixed(0)} s)`);
      } finally {
        model.scorable.dispose();
        reference?.scorable.dispose();
      }
    });
}
