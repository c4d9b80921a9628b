// One unlearning run end to end, as the CLI, the experiment runner and the demo use it: load the
// model (never modifying its folder), run the method, write the unlearned model, forget.json and
// unlearn.json into `out`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset, Example, ForgetSet } from '../data';
import { splitOf, writeForgetSet } from '../data';
import { datasetHash, idSetHash } from '../data/hash';
import { loadClassifier, savedConfig, savePretrained } from '../model';
import { resolveDevice, type DeviceSpec } from '../engine/device';
import { writeFileAtomic } from '../io/atomic';
// From the index, which registers every built-in method.
import { getMethod, resolveHyperparameters, runLossMethod, stopForgetSample, type LossPoint, type RewindState } from '.';
import { isTargetRule, type StopCheck, type StopRule, type StopTarget } from './stopping';
import { subjectOf } from './target/partition';
import { estimateTarget } from './target/estimate';
import type { Classifier } from './types';
import { isSisaDir } from './sisa/layout';
import { recordedRecipe } from './recipe';
import { hashModel } from '../provenance/hash';
import { provenance, relativePath, type Provenance } from '../provenance/info';
import { appendLedger } from '../provenance/ledger';
import { forgottenIds, forgottenSummary, readLineage, rebaseRecipe, subjectsOf, writeLineage, LINEAGE_FORMAT, type Lineage } from '../provenance/lineage';
import { inheritedLedger, recordHashes } from '../provenance/record';
import { snakeKeys } from '../provenance/casing';

export const UNLEARN_RECORD = 'unlearn.json';
const CHECKPOINT_DIR = 'checkpoint';

export interface UnlearnRequest {
  modelDir: string;
  dataset: Dataset;
  forget: ForgetSet;
  method: string;
  out: string;
  seed?: number;
  /** Hyper-parameter overrides (name → value). */
  hp?: Readonly<Record<string, number>>;
  stop?: StopRule;
  /** --stop references: the folder `deepcut references` wrote for this data. */
  references?: string;
  /** The split seed the dataset was loaded with (named when references do not match). */
  splitSeed?: number;
  /** Tokens per text; default: the model's train.json, else 128. */
  maxLength?: number;
  baseModel?: string;
  resume?: boolean;
  /** Where to compute: 'cpu' (default), 'auto', 'cuda' or 'cuda:N'. */
  device?: DeviceSpec;
  log?(line: string): void;
  onStep?(p: { step: number; total: number; values: Record<string, number> }): void;
  onCheck?(check: StopCheck): void;
}

/** A stopping check as unlearn.json records it: StopCheck's fields in snake_case, as every record's keys. */
export interface RecordedCheck {
  step: number;
  forget_accuracy: number;
  forget_loss: number;
  heldout_accuracy?: number;
  heldout_loss?: number;
  unseen: boolean;
  distance?: number;
  fine?: boolean;
  blend?: { from: number; to: number; alpha: number };
  retain_accuracy?: number;
  loss_auc?: number;
  estimated_gap?: number;
}

/** RewindState as unlearn.json records it (snake_case). */
export interface RecordedRewind {
  phase: RewindState['phase'];
  crossed_at?: number;
  previous_step?: number;
  best_step?: number;
}

const recordedCheck = (c: StopCheck): RecordedCheck => snakeKeys(c) as unknown as RecordedCheck;
const recordedRewind = (r: RewindState): RecordedRewind => snakeKeys(r) as unknown as RecordedRewind;

export interface UnlearnRecord {
  method: string;
  /** The input model, relative to this folder (model_absolute: where it was). */
  model: string;
  model_absolute: string;
  /** Manifest hashes of the input and the output model (docs/provenance.md). */
  input_model_hash: string;
  output_model_hash: string;
  dataset: string;
  /** This request; subjects: the data subjects (user field) of its records. */
  forget: { spec: string; count: number; hash: string; subjects: string[]; notes?: string[] };
  /** Deletions applied before this one (generation = previous.generations + 1) and their union. */
  generation: number;
  previously_forgotten: { count: number; hash: string };
  /** Everything forgotten after this run (previously_forgotten ∪ this request). */
  forgotten: { count: number; hash: string };
  /** The train records the method could use: the train split minus `forgotten`. */
  retain: { count: number; hash: string };
  retain_count: number;
  /** The held-out rows the stopping rule compares with; carved_from_train as in train.json. */
  validation: { count: number; carved_from_train: number };
  seed: number;
  hyperparameters: Record<string, number>;
  stop: StopRule;
  /**
   * Target rules: what the run aimed at and where that came from; `tolerance`: how close to the
   * target accuracy a check had to be to end the run (targetTolerance in stopping.ts).
   */
  target?: { rule: string; accuracy: number; loss: number; tolerance?: number; source: string; estimate: Record<string, unknown>; notes?: string[] };
  max_length: number;
  /** Steps of the returned model (target rules: the chosen check's). */
  steps: number;
  /** Optimisation steps run in all, a rewind's replayed steps included. */
  steps_run?: number;
  stopped_by?: 'rule' | 'budget';
  resumed_from?: number;
  /** Every stopping check in the order run (target rules: with distance to the target; fine: replayed). */
  checks?: RecordedCheck[];
  /** Target rules: the check whose state was returned. */
  chosen_check?: RecordedCheck;
  rewind?: RecordedRewind;
  losses: LossPoint[];
  details?: Record<string, unknown>;
  notes?: string[];
  wall_seconds: number;
  /**
   * Loss-based methods: where the wall time went (seconds) — estimating the target, optimisation
   * steps, stopping checks; the rest is loading, checkpoints and saving. This process's share on a resumed run.
   */
  seconds?: { target: number; steps: number; checks: number };
  provenance: Provenance;
}

/** Whether `out` may be written: absent, empty, or (with resume) holding only an interrupted run. */
export function checkOutput(out: string, modelDir: string, options: { resume?: boolean; overwrite?: boolean }): void {
  if (path.resolve(out) === path.resolve(modelDir)) throw new Error('--out must differ from --model (the input model is never modified)');
  if (!fs.existsSync(out) || fs.readdirSync(out).length === 0 || options.overwrite) return;
  if (options.resume) {
    if (fs.existsSync(path.join(out, UNLEARN_RECORD))) throw new Error(`${out} holds a finished run (unlearn.json); nothing to resume`);
    return;
  }
  throw new Error(`--out ${out} exists and is not empty (pass --overwrite to replace it, or --resume to continue an interrupted run)`);
}

function requireReferences(dir: string | undefined): string {
  if (dir === undefined) throw new Error("the 'references' stopping rule needs the reference models' folder (--references DIR, from 'deepcut references')");
  return dir;
}

function sameLabels(model: readonly string[], data: readonly string[]): boolean {
  return model.length === data.length && model.every((l, i) => l === data[i]);
}

export async function unlearn(req: UnlearnRequest): Promise<UnlearnRecord> {
  const started = Date.now();
  const method = getMethod(req.method);
  if (method.name !== 'sisa' && isSisaDir(req.modelDir)) {
    throw new Error(`${req.modelDir} is a SISA ensemble (sisa.json): unlearn it with --method sisa, or give ${method.name} a single fine-tuned model`);
  }
  // Loss-based methods edit what the original's fine-tune edited: its frozen layers stay frozen unless asked.
  const recipe = recordedRecipe(req.modelDir);
  const frozenByRecipe = recipe.settings?.freezeLayers ?? 0;
  const hp = resolveHyperparameters(method, method.kind === 'loss' && req.hp?.freezeLayers === undefined ? { ...req.hp, freezeLayers: frozenByRecipe } : req.hp);
  const seed = req.seed ?? 0;
  const stop = req.stop ?? 'accuracy';
  const log = req.log ?? (() => undefined);
  const device = resolveDevice(req.device ?? 'cpu');
  const maxLength = req.maxLength ?? recipe.maxLength ?? 128;
  const forgetIds = new Set(req.forget.ids);
  const train = splitOf(req.dataset, 'train');
  const forget: Example[] = train.filter((e) => forgetIds.has(e.id));
  // The model's history: the retain set excludes everything forgotten so far, not only this request.
  const parent = readLineage(req.modelDir);
  const notes = [...(parent.notes ?? [])];
  /** Notes on this run only (unlearn.json), not on the model's lineage (inherited by later deletions). */
  const runNotes: string[] = [];
  notes.forEach((n) => log(`note: ${n}`));
  const previous = new Set(forgottenIds(parent));
  const union = new Set([...previous, ...forgetIds]);
  const retain = train.filter((e) => !union.has(e.id));
  const alreadyForgotten = req.forget.ids.filter((id) => previous.has(id)).length;
  if (previous.size > 0) log(`lineage: generation ${parent.generation}, ${previous.size} records forgotten before; retain set = train minus ${union.size} (all requests so far)`);
  if (parent.recipe.data_hash !== undefined && parent.recipe.data_hash !== datasetHash(train)) {
    notes.push(`the dataset's train split differs from the one the model's lineage records (data_hash ${parent.recipe.data_hash.slice(0, 12)}…, now ${datasetHash(train).slice(0, 12)}…)`);
    log(`warning: ${notes[notes.length - 1]}`);
  }
  const inputHash = hashModel(req.modelDir);
  const validation = splitOf(req.dataset, 'validation');
  fs.mkdirSync(req.out, { recursive: true });

  let base: Pick<UnlearnRecord, 'steps' | 'steps_run' | 'stopped_by' | 'resumed_from' | 'checks' | 'chosen_check' | 'rewind' | 'losses' | 'details' | 'target' | 'seconds'>;
  if (method.kind === 'loss') {
    // hp.dropout: the rate every dropout layer trains at here; the saved model records its own rates.
    const ownRates = savedConfig(req.modelDir);
    const dropout = hp.dropout !== undefined && hp.dropout >= 0 ? hp.dropout : undefined;
    if (dropout !== undefined && dropout !== ownRates.hiddenDropout) log(`dropout while unlearning: ${dropout} (the model's own: hidden ${ownRates.hiddenDropout}, attention ${ownRates.attentionDropout})`);
    if ((hp.views ?? 1) > 1 && (dropout ?? Math.max(ownRates.hiddenDropout, ownRates.attentionDropout, ownRates.classifierDropout)) === 0) {
      runNotes.push(`${method.name}'s ${hp.views} views of each sample are identical: the model has no dropout (fine-tuned at dropout 0); --hp dropout=0.1 makes them differ`);
      log(`warning: ${runNotes[runNotes.length - 1]}`);
    }
    const load = (rate?: number) => {
      const { model, tokenizer } = loadClassifier(req.modelDir, { device, ...(rate !== undefined ? { dropout: rate } : {}) });
      if (!tokenizer) throw new Error(`${req.modelDir} has no tokenizer.json`);
      const classifier = model as Classifier;
      if (!sameLabels(classifier.config.labels, req.dataset.labels)) {
        classifier.dispose();
        throw new Error(`${req.modelDir}: the model's labels [${classifier.config.labels.join(', ')}] differ from dataset ${req.dataset.name}'s [${req.dataset.labels.join(', ')}]`);
      }
      return { classifier, tokenizer };
    };
    const { classifier, tokenizer } = load(dropout);
    try {
      const loadOriginal = () => {
        const copy = load().classifier;
        for (const p of copy.parameters()) p.requiresGrad_(false);
        return copy;
      };
      // Estimated on the input model before any step (so a resumed run gets the same target).
      let target: StopTarget | undefined;
      let targetSeconds = 0;
      if (isTargetRule(stop)) {
        const targetStarted = Date.now();
        target = estimateTarget({
          rule: stop, model: classifier, tokenizer, forgetSample: stopForgetSample(forget, hp, seed), validation, labels: req.dataset.labels, maxLength, log,
          keptSubjects: new Set(retain.map(subjectOf)), modelFolder: { dir: req.modelDir, hash: inputHash.manifest_hash },
          ...(stop === 'references' ? { references: { dir: requireReferences(req.references), dataset: req.dataset.name, splitSeed: req.splitSeed, trainHash: datasetHash(train) } } : {}),
        });
        log(`target forget accuracy ${(100 * target.accuracy).toFixed(1)}% (loss ${target.loss.toFixed(3)}): ${target.source}`);
        target.notes?.forEach((n) => log(`note: ${n}`));
        targetSeconds = (Date.now() - targetStarted) / 1000;
      }
      const result = runLossMethod(method, classifier, tokenizer, { forget, retain, validation }, {
        hp, seed, stop, target, maxLength, forgetHash: req.forget.hash, checkpointDir: path.join(req.out, CHECKPOINT_DIR),
        resume: req.resume, loadOriginal, onStep: req.onStep, onCheck: req.onCheck,
      });
      if (result.resumedFrom !== undefined) log(`resumed from step ${result.resumedFrom}`);
      if (result.chosen) log(`returned the state of the check at step ${result.chosen.step} (forget accuracy ${(100 * result.chosen.forgetAccuracy).toFixed(1)}%${result.chosen.estimatedGap !== undefined ? `, the smallest estimated gap: ${result.chosen.estimatedGap.toFixed(4)}` : ''}, ${result.stepsRun} steps run; a check within ${(100 * result.tolerance!).toFixed(1)} points of the target ends the run)`);
      savePretrained(classifier, req.out, { tokenizerDir: req.modelDir, overwrite: true, dropoutOf: ownRates });
      base = {
        steps: result.steps, steps_run: result.stepsRun, stopped_by: result.stoppedBy, checks: result.checks.map(recordedCheck), losses: result.losses,
        seconds: { target: targetSeconds, steps: result.seconds.steps, checks: result.seconds.checks },
        ...(target ? { target: { rule: target.rule, accuracy: target.accuracy, loss: target.loss, ...(result.tolerance !== undefined ? { tolerance: result.tolerance } : {}), source: target.source, estimate: target.estimate, ...(target.notes ? { notes: target.notes } : {}) } } : {}),
        ...(result.chosen ? { chosen_check: recordedCheck(result.chosen) } : {}), ...(result.rewind ? { rewind: recordedRewind(result.rewind) } : {}),
        ...(result.resumedFrom !== undefined ? { resumed_from: result.resumedFrom } : {}),
      };
    } finally {
      classifier.dispose();
    }
  } else {
    const result = await method.run({
      modelDir: req.modelDir, out: req.out, forget, retain, validation, labels: req.dataset.labels, hp, seed,
      resume: Boolean(req.resume), baseModel: req.baseModel, device, log, onStep: req.onStep,
    });
    base = { steps: result.steps, losses: result.losses, ...(result.details ? { details: result.details } : {}) };
  }
  writeForgetSet(req.out, req.forget);
  const outputHash = hashModel(req.out);
  const subjects = subjectsOf(train, req.forget.ids);
  const time = new Date().toISOString();
  const lineage: Lineage = {
    format: LINEAGE_FORMAT, kind: 'unlearn', generation: parent.generation + 1,
    recipe: { ...rebaseRecipe(parent.recipe, req.modelDir, req.out), max_length: maxLength },
    excluded_at_training: parent.excluded_at_training,
    deletions: [...parent.deletions, {
      generation: parent.generation + 1, spec: req.forget.spec, count: req.forget.ids.length, hash: req.forget.hash, ids: [...req.forget.ids],
      subjects, method: method.name, time, input_model_hash: inputHash.manifest_hash, output_model_hash: outputHash.manifest_hash,
      ...(alreadyForgotten > 0 ? { already_forgotten: alreadyForgotten } : {}),
    }],
    forgotten: { count: 0, hash: '' },
    parent: { folder: relativePath(req.out, req.modelDir), folder_absolute: path.resolve(req.modelDir), model_hash: inputHash.manifest_hash },
    ...(notes.length > 0 ? { notes } : {}),
  };
  lineage.forgotten = forgottenSummary(lineage);
  const retainInfo = { count: retain.length, hash: idSetHash(retain.map((e) => e.id)) };
  const out: UnlearnRecord = {
    method: method.name, model: relativePath(req.out, req.modelDir), model_absolute: path.resolve(req.modelDir),
    input_model_hash: inputHash.manifest_hash, output_model_hash: outputHash.manifest_hash, dataset: req.dataset.name,
    forget: { spec: req.forget.spec, count: req.forget.ids.length, hash: req.forget.hash, subjects, ...(req.forget.notes ? { notes: req.forget.notes } : {}) },
    generation: lineage.generation, previously_forgotten: parent.forgotten, forgotten: lineage.forgotten, retain: retainInfo, retain_count: retain.length,
    validation: { count: validation.length, carved_from_train: req.dataset.validationCarved ?? 0 },
    seed, hyperparameters: snakeKeys(hp) as Record<string, number>, stop, max_length: maxLength, ...base,
    ...(notes.length + runNotes.length > 0 ? { notes: [...notes, ...runNotes] } : {}), wall_seconds: (Date.now() - started) / 1000, provenance: provenance({ device }),
  };
  writeFileAtomic(path.join(req.out, UNLEARN_RECORD), `${JSON.stringify(out, null, 2)}\n`);
  writeLineage(req.out, lineage);
  // The ledger last: it hashes the model files and every record above.
  const inherited = inheritedLedger(req.modelDir, inputHash, parent);
  appendLedger(req.out, inherited.lines, {
    type: 'unlearn', generation: lineage.generation,
    request: { spec: req.forget.spec, subjects, count: req.forget.ids.length, hash: req.forget.hash, already_forgotten: alreadyForgotten },
    method: method.name, hyperparameters: out.hyperparameters, seed,
    input_model: { folder: out.model, manifest_hash: inputHash.manifest_hash },
    retain: retainInfo, forgotten: lineage.forgotten,
    stopping: {
      rule: stop, stopped_by: out.stopped_by ?? null, steps: out.steps,
      ...(out.target ? { target: { accuracy: out.target.accuracy, loss: out.target.loss, source: out.target.source } } : {}),
      ...(out.chosen_check ? { chosen_check: out.chosen_check } : out.checks && out.checks.length > 0 ? { last_check: out.checks[out.checks.length - 1] } : {}),
    },
    model: outputHash, records: recordHashes(req.out), provenance: out.provenance,
  });
  return out;
}
