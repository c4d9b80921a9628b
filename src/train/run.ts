// One fine-tune end to end, as `deepcut finetune` and the experiment runner use it: load the
// encoder with a fresh head for the dataset's labels, train (resumable), score the test split,
// write the Hugging Face folder, forget.json (when records were left out) and, last, train.json,
// so a folder with train.json is a finished run.
import * as path from 'node:path';
import { datasetHash, isTagging, retainSplit, splitOf, writeForgetSet, type Dataset, type ForgetSet } from '../data';
import { manualSeed, resolveDevice, type DeviceSpec } from '../engine';
import { writeFileAtomic } from '../io/atomic';
import { initWeights, loadClassifier, savePretrained } from '../model';
import { ScoredSample } from '../methods/scored-sample';
import { writeValidationScores } from '../methods/target/validation-scores';
import { finetune, type EpochRecord, type FinetuneOptions } from './finetune';
import { predict } from './predict';
import type { LinearProbeRecord } from './linear-probe';
import { TRAIN_RECORD } from './record';
import { snakeKeys } from '../provenance/casing';
import { hashModel } from '../provenance/hash';
import { provenance, relativePath, type Provenance } from '../provenance/info';
import { trainingLineage, writeLineage } from '../provenance/lineage';
import { ledgerTraining } from '../provenance/record';

export type FinetuneSettings = Omit<FinetuneOptions, 'checkpointDir' | 'resume' | 'onStep' | 'log' | 'probeTest' | 'distributed'>;

export interface FinetuneJob {
  /** Encoder folder (Hugging Face format with tokenizer.json) to start from. */
  base: string;
  dataset: Dataset;
  /** Records left out of training (the retrain gold standard). */
  forget?: ForgetSet;
  out: string;
  settings: FinetuneSettings;
  /** The split seed the dataset was loaded with (recorded for evaluation and unlearning). */
  splitSeed: number;
  /** Discard the encoder's pretrained weights (HF init), keeping its config and tokenizer. */
  randomInit?: boolean;
  /** Continue from the last epoch checkpoint in out/checkpoint. */
  resume?: boolean;
  /** Where to train: 'cpu' (default), 'auto', 'cuda' or 'cuda:N'. */
  device?: DeviceSpec;
  onStep?: FinetuneOptions['onStep'];
  log?: FinetuneOptions['log'];
  /** Data-parallel: this process is one rank (src/train/distributed.ts); only rank 0 scores the test split and writes the folder. */
  distributed?: FinetuneOptions['distributed'];
}

/** What train.json holds (snake_case keys throughout; records before lineages had camelCase hyperparameters). */
export interface FinetuneRecord {
  /** Relative to the model folder; base_model_absolute: where it was when trained. */
  base_model: string;
  base_model_absolute?: string;
  /** Manifest hash of the base encoder's model files (docs/provenance.md). */
  base_model_hash: string;
  random_init: boolean;
  dataset: string;
  seed: number;
  split_seed: number;
  /**
   * The fine-tune settings in snake_case (batch_size, max_length, ...); records from before
   * lineages hold camelCase. Read them with readTrainRecord (either casing, camelCase result).
   */
  hyperparameters: Record<string, unknown>;
  data_hash: string;
  train_examples: number;
  /** carved_from_train: rows moved from train because the data had no validation split (0: it had one). */
  validation: { count: number; carved_from_train: number };
  labels: string[];
  forget: { spec: string; count: number; hash: string } | null;
  /** The head fitted on frozen features before fine-tuning; null when linear probing was off. */
  linear_probe: LinearProbeRecord | null;
  epochs: EpochRecord[];
  best_epoch: number;
  steps: number;
  test: { accuracy: number; macro_f1: number; examples: number };
  /** Manifest hash of the model files this record describes (the folder's weights, config and tokenizer). */
  model_hash: string;
  wall_seconds: number;
  provenance: Provenance;
}

/** Data-parallel ranks other than 0 train alongside rank 0 and return undefined. */
export function finetuneToFolder(job: FinetuneJob & { distributed?: undefined }): FinetuneRecord;
export function finetuneToFolder(job: FinetuneJob): FinetuneRecord | undefined;
export function finetuneToFolder(job: FinetuneJob): FinetuneRecord | undefined {
  const started = Date.now();
  const device = resolveDevice(job.device ?? 'cpu');
  const train = job.forget ? retainSplit(job.dataset, job.forget) : splitOf(job.dataset, 'train');
  const validation = splitOf(job.dataset, 'validation');
  const testSplit = splitOf(job.dataset, 'test');
  const { model: classifier, tokenizer } = loadClassifier(job.base, { labels: job.dataset.labels, ...(job.settings.dropout !== undefined ? { dropout: job.settings.dropout } : {}), task: isTagging(job.dataset) ? 'token-classification' : 'sequence-classification' });
  try {
    if (!tokenizer) throw new Error(`${job.base} has no tokenizer.json`);
    if (job.randomInit) {
      manualSeed(job.settings.seed);
      initWeights(classifier, classifier.config.initializerRange);
    }
    // Loaded and initialised on the CPU (its seeded generator), then moved: the same start on every device.
    classifier.to(device);
    const result = finetune(classifier, tokenizer, train, validation, {
      ...job.settings, checkpointDir: path.join(job.out, 'checkpoint'), resume: Boolean(job.resume), onStep: job.onStep, log: job.log,
      probeTest: testSplit, distributed: job.distributed,
    });
    if (job.distributed && !job.distributed.isLeader) return undefined;
    const test = predict(classifier, tokenizer, testSplit, job.settings);
    // Replacing the folder also drops the epoch checkpoint: the run is finished.
    savePretrained(classifier, job.out, { tokenizerDir: job.base, overwrite: true });
    if (job.forget) writeForgetSet(job.out, job.forget);
    const modelHash = hashModel(job.out); // the model files are final here: the lineage and the ledger below are not among them
    // Unlearning's stopping targets start from these outcomes at every request (validation-scores.ts).
    // The kept epoch's own validation pass has them, unless the probed head (or an epoch from before a resume) was kept.
    if (validation.length > 0) {
      const kept = result.bestValidation ?? (() => {
        const sample = new ScoredSample(validation, tokenizer, job.settings.maxLength, 'validation split');
        return { scores: sample.score(classifier), layout: sample.layout };
      })();
      writeValidationScores(job.out, validation, kept.scores, kept.layout, { modelHash: modelHash.manifest_hash, maxLength: job.settings.maxLength });
    }
    const baseHash = hashModel(job.base).manifest_hash;
    const hyperparameters = snakeKeys(job.settings);
    const lineage = trainingLineage({
      dir: job.out, kind: 'finetune', base: job.base, baseHash, dataset: job.dataset, trainHash: datasetHash(splitOf(job.dataset, 'train')),
      splitSeed: job.splitSeed, maxLength: job.settings.maxLength, hyperparameters, seed: job.settings.seed, randomInit: job.randomInit, excluded: job.forget,
    });
    writeLineage(job.out, lineage);
    const record: FinetuneRecord = {
      base_model: relativePath(job.out, job.base), base_model_absolute: path.resolve(job.base), base_model_hash: baseHash, random_init: Boolean(job.randomInit), dataset: job.dataset.name, seed: job.settings.seed,
      split_seed: job.splitSeed, hyperparameters, data_hash: datasetHash(train), train_examples: train.length,
      validation: { count: validation.length, carved_from_train: job.dataset.validationCarved ?? 0 },
      labels: [...job.dataset.labels],
      forget: job.forget ? { spec: job.forget.spec, count: job.forget.ids.length, hash: job.forget.hash } : null,
      linear_probe: result.linearProbe ?? null, epochs: result.epochs, best_epoch: result.bestEpoch, steps: result.steps,
      test: { accuracy: test.accuracy, macro_f1: test.macroF1, examples: test.predictions.length },
      model_hash: modelHash.manifest_hash, wall_seconds: (Date.now() - started) / 1000, provenance: provenance({ device }),
    };
    writeFileAtomic(path.join(job.out, TRAIN_RECORD), `${JSON.stringify(record, null, 2)}\n`);
    ledgerTraining(job.out, lineage, modelHash);
    return record;
  } finally {
    classifier.dispose();
  }
}
