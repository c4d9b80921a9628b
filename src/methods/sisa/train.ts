// SISA training: each shard is trained in stages, stage J fitting the union of its slices
// 0..J, with a checkpoint after every stage. Unlearning runs the same code with a later first
// stage per shard, so "retrain shard K from slice J" and "train shard K" cannot drift apart.
//
// Every stage is one finetune() call (fresh AdamW, warm-up/decay over that stage, early stopping
// on the validation split) seeded by (seed, shard, stage) alone, and a shard's classification
// head is initialised from (seed, shard). A stage's result therefore depends only on the weights
// it starts from and the ids of slices 0..J: retraining from the checkpoint before the first
// affected slice gives exactly the shard that training without the forgotten ids would have
// given, and a resumed run gives exactly the uninterrupted one.
//
// Cost: stage J sees (J+1)/M of the shard, so training all M stages costs (M+1)/2 fine-tunes
// of the shard's data per `epochs`; unlearning a request whose first hit in a shard is slice J
// costs only stages J..M-1 of that shard, and nothing for untouched shards.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manualSeed, type Device } from '../../engine';
import { loadStateDictFile, saveSafetensors } from '../../io/safetensors';
import { writeDirAtomic, writeFileAtomic } from '../../io/atomic';
import { seedFromString, type Example } from '../../data';
import { loadClassifier, savePretrained, TOKENIZER_FILES, type ClassifierTask, type UnitClassifier } from '../../model';
import type { Module } from '../../nn';
import type { SequenceTokenizer } from '../../text/types';
import { finetune } from '../../train/finetune';
import {
  SISA_FILE, SISA_PROGRESS_FILE, checkpointFile, modelHash, shardDir, sisaTask, stageIds, writeSisaManifest,
  type SisaManifest, type StageRecord,
} from './layout';

type Classifier = UnitClassifier & Module;

export interface SisaPlan {
  /** Output folder (a new SISA folder). */
  out: string;
  /** The manifest to write at the end, without the stage records (filled in here). */
  manifest: Omit<SisaManifest, 'stages'>;
  /** The pretrained encoder stage 0 starts from (its hash must be manifest.base_hash). */
  base: string;
  /** Train examples by id; every id of manifest.assignment must be here. */
  examples: ReadonlyMap<string, Example>;
  /** Early-stopping split of every stage. */
  validation: readonly Example[];
  /** Per shard: the first stage to train; `slices` means none (the shard is copied from `source`). */
  from: readonly number[];
  /** Unlearning: the SISA folder whose untouched shards and earlier checkpoints are reused. */
  source?: { dir: string; manifest: SisaManifest };
  /** Continue an interrupted run of the same plan in `out`, skipping finished stages. */
  resume: boolean;
  /** Where every stage trains ('cpu', 'cuda:N'; default cpu). */
  device?: Device;
  log(line: string): void;
  onStep?(p: { step: number; total: number; values: Record<string, number> }): void;
}

export interface ShardOutcome {
  shard: number;
  /** First stage (re)trained; null when the shard was copied unchanged. */
  from: number | null;
  /** Stages run by this call (stages found finished by --resume are not counted). */
  stagesTrained: number;
  /** Stages skipped because an interrupted run had finished them. */
  stagesResumed: number;
  steps: number;
}

export interface SisaOutcome {
  manifest: SisaManifest;
  shards: ShardOutcome[];
  steps: number;
  losses: { step: number; values: Record<string, number> }[];
}

interface Progress {
  identity: string;
  stages: Record<string, StageRecord>;
}

/** libtorch seed of shard K's stage J (finetune() seeds dropout and shuffling with it). */
export function stageSeed(seed: number, shard: number, slice: number): number {
  return seedFromString(`${seed}:sisa-stage:${shard}:${slice}`);
}

/** libtorch seed under which shard K's new classification head is initialised. */
export function headSeed(seed: number, shard: number): number {
  return seedFromString(`${seed}:sisa-head:${shard}`);
}

/** Runs the plan: copies what is kept, trains what is not, writes sisa.json last. */
export function runSisaPlan(plan: SisaPlan): SisaOutcome {
  const { out, manifest } = plan;
  const slices = manifest.slices;
  if (plan.from.length !== manifest.shards) throw new Error(`SISA plan: ${plan.from.length} start stages for ${manifest.shards} shards`);
  for (const id of manifest.assignment.flat(2)) {
    if (!plan.examples.has(id)) throw new Error(`SISA: train id '${id}' of the model's assignment is not in the dataset (is it the dataset the SISA model was trained on?)`);
  }
  fs.mkdirSync(out, { recursive: true });
  const progress = openProgress(plan);

  const stepsOf = (n: number) => Math.ceil(n / manifest.hyperparameters.batchSize) * manifest.hyperparameters.epochs;
  let total = 0;
  for (let k = 0; k < manifest.shards; k++) {
    for (let j = plan.from[k]!; j < slices; j++) total += stepsOf(stageIds(manifest.assignment, k, j).length);
  }
  let step = 0;
  const losses: SisaOutcome['losses'] = [];
  let baseChecked = false;
  const checkBase = () => {
    if (baseChecked) return;
    const hash = modelHash(plan.base);
    if (hash !== manifest.base_hash) {
      throw new Error(`${plan.base}: its weights differ from the encoder this SISA model was trained from (sha256 ${hash.slice(0, 12)}, recorded ${manifest.base_hash.slice(0, 12)}); retraining from it would not be exact (pass the original encoder with --base)`);
    }
    baseChecked = true;
  };

  const outcomes: ShardOutcome[] = [];
  for (let k = 0; k < manifest.shards; k++) {
    const from = plan.from[k]!;
    if (from >= slices) {
      copyShard(plan, k);
      outcomes.push({ shard: k, from: null, stagesTrained: 0, stagesResumed: 0, steps: 0 });
      continue;
    }
    for (let j = 0; j < from; j++) copyCheckpoint(plan, k, j);
    if (fs.existsSync(path.join(shardDir(out, k), 'config.json'))) {
      // Only a resumed run gets here (otherwise the folder was cleared): the shard is finished.
      outcomes.push({ shard: k, from, stagesTrained: 0, stagesResumed: slices - from, steps: 0 });
      continue;
    }
    let last = from - 1; // the last finished stage: training continues after it
    for (let j = slices - 2; j >= from; j--) {
      if (fs.existsSync(checkpointFile(out, k, j))) {
        last = j;
        break;
      }
    }
    const resumed = last - from + 1;
    if (resumed > 0) plan.log(`shard ${k}: resuming after stage ${last} (its checkpoint exists)`);
    const template = plan.source ? shardDir(plan.source.dir, k) : plan.base;
    let loaded: { model: Classifier; tokenizer: SequenceTokenizer; tokenizerDir: string };
    if (last < 0) {
      checkBase();
      loaded = load(plan.base, manifest.labels, sisaTask(manifest), headSeed(manifest.seed, k), plan.device ?? 'cpu');
    } else {
      loaded = load(template, manifest.labels, sisaTask(manifest), headSeed(manifest.seed, k), plan.device ?? 'cpu');
      loadStateDictFile(loaded.model, checkpointFile(out, k, last));
    }
    const { model, tokenizer, tokenizerDir } = loaded;
    let shardSteps = 0;
    try {
      for (let j = last + 1; j < slices; j++) {
        const ids = stageIds(manifest.assignment, k, j);
        const train = ids.map((id) => plan.examples.get(id)!);
        let record: StageRecord = { examples: 0, steps: 0, best_epoch: 0 };
        if (train.length === 0) {
          // Every id up to this slice was forgotten: nothing to fit, the weights pass through.
          plan.log(`shard ${k} stage ${j}: no examples left, weights kept`);
        } else {
          plan.log(`shard ${k} stage ${j}: training on slices 0..${j} (${train.length} examples)`);
          const result = finetune(model, tokenizer, train, plan.validation, {
            ...manifest.hyperparameters, seed: stageSeed(manifest.seed, k, j),
            onStep: ({ loss }) => {
              step++;
              losses.push({ step, values: { retain: loss } });
              plan.onStep?.({ step, total, values: { retain: loss } });
            },
          });
          record = { examples: train.length, steps: result.steps, best_epoch: result.bestEpoch };
          shardSteps += result.steps;
        }
        // Record first, weights second: a run killed in between retrains the stage (its
        // checkpoint is missing) instead of finding weights without a record.
        progress.stages[`${k}:${j}`] = record;
        writeFileAtomic(path.join(out, SISA_PROGRESS_FILE), `${JSON.stringify(progress)}\n`);
        if (j < slices - 1) saveSafetensors(checkpointFile(out, k, j), model.stateDict(), { format: 'pt' });
        else savePretrained(model, shardDir(out, k), { tokenizerDir, overwrite: true });
      }
    } finally {
      model.dispose();
    }
    outcomes.push({ shard: k, from, stagesTrained: slices - 1 - last, stagesResumed: resumed, steps: shardSteps });
  }

  const stages = manifest.assignment.map((_, k) => Array.from({ length: slices }, (__, j): StageRecord => {
    const mine = progress.stages[`${k}:${j}`];
    if (j >= plan.from[k]! && mine) return mine;
    const kept = plan.source?.manifest.stages[k]?.[j];
    if (!kept) throw new Error(`SISA: no record of shard ${k} stage ${j} (the progress file of the interrupted run is incomplete; rerun without --resume)`);
    return kept;
  }));
  // The shards share one tokenizer; a copy at the top makes the folder's tokenizer findable
  // without knowing the layout (e.g. by tools that check DIR/tokenizer.json).
  for (const file of TOKENIZER_FILES) {
    const from = path.join(shardDir(out, 0), file);
    if (fs.existsSync(from)) copyAtomic(from, path.join(out, file));
  }
  const full: SisaManifest = { ...manifest, stages };
  writeSisaManifest(out, full);
  fs.rmSync(path.join(out, SISA_PROGRESS_FILE), { force: true });
  return { manifest: full, shards: outcomes, steps: step, losses };
}

/**
 * The progress file ties the files in `out` to one plan. Without --resume (or with no progress
 * file to resume) everything this module writes in `out` is cleared first, so stale checkpoints
 * of another run are never taken for finished stages.
 */
function openProgress(plan: SisaPlan): Progress {
  const { manifest } = plan;
  const identity = createHash('sha256').update(JSON.stringify({
    assignment: manifest.assignment_hash, settings: manifest.hyperparameters, seed: manifest.seed, base: manifest.base_hash,
    labels: manifest.labels, task: sisaTask(manifest), validation: manifest.validation_hash, from: plan.from, source: plan.source?.manifest.assignment_hash ?? null,
  })).digest('hex');
  const file = path.join(plan.out, SISA_PROGRESS_FILE);
  if (plan.resume && fs.existsSync(path.join(plan.out, SISA_FILE))) {
    throw new Error(`${plan.out} holds a finished SISA model (${SISA_FILE}); nothing to resume`);
  }
  if (plan.resume && fs.existsSync(file)) {
    const previous = JSON.parse(fs.readFileSync(file, 'utf8')) as Progress;
    if (previous.identity !== identity) {
      throw new Error(`${plan.out}: the interrupted SISA run there had different data, settings or forget set; it cannot be resumed (rerun without --resume, or with --overwrite)`);
    }
    return previous;
  }
  for (const entry of fs.readdirSync(plan.out)) {
    if (/^shard-\d+(\..*)?$/.test(entry) || ['checkpoints', SISA_FILE, SISA_PROGRESS_FILE, ...TOKENIZER_FILES].includes(entry)) {
      fs.rmSync(path.join(plan.out, entry), { recursive: true, force: true });
    }
  }
  const progress: Progress = { identity, stages: {} };
  writeFileAtomic(file, `${JSON.stringify(progress)}\n`);
  return progress;
}

/** A `task` model with `dir`'s architecture and tokenizer; a new head is initialised under `seed`. */
function load(dir: string, labels: readonly string[], task: ClassifierTask, seed: number, device: Device): { model: Classifier; tokenizer: SequenceTokenizer; tokenizerDir: string } {
  manualSeed(seed);
  // The head is drawn on the CPU under `seed`, then the model moves: the same start on every device.
  const { model, tokenizer } = loadClassifier(dir, { labels, task, device });
  if (!tokenizer) {
    model.dispose();
    throw new Error(`${dir} has no tokenizer.json`);
  }
  return { model: model as Classifier, tokenizer, tokenizerDir: dir };
}

/** Copies a file byte for byte through a temporary name (never half-written). */
function copyAtomic(from: string, to: string): void {
  if (!fs.existsSync(from)) throw new Error(`${from}: missing (the SISA model being unlearned is incomplete)`);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const tmp = `${to}.${process.pid}.copying`;
  fs.copyFileSync(from, tmp);
  fs.renameSync(tmp, to);
}

function copyCheckpoint(plan: SisaPlan, shard: number, slice: number): void {
  const target = checkpointFile(plan.out, shard, slice);
  if (fs.existsSync(target)) return;
  if (!plan.source) throw new Error(`SISA plan: shard ${shard} starts at stage ${plan.from[shard]} but there is no source model to take earlier checkpoints from`);
  copyAtomic(checkpointFile(plan.source.dir, shard, slice), target);
}

/** An untouched shard: its folder and checkpoints, byte-identical. */
function copyShard(plan: SisaPlan, shard: number): void {
  for (let j = 0; j < plan.manifest.slices - 1; j++) copyCheckpoint(plan, shard, j);
  const target = shardDir(plan.out, shard);
  if (fs.existsSync(path.join(target, 'config.json'))) return;
  writeDirAtomic(target, (staging) => fs.cpSync(shardDir(plan.source!.dir, shard), staging, { recursive: true }));
}
