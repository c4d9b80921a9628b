// `deepcut finetune --sisa-shards N --slices M`: the SISA branch of the finetune command. It
// trains a SISA folder (sisa.json, shard-K/, checkpoints/) instead of one model and records
// train.json with the same fields as a plain run, the test metrics coming from the majority vote.
import * as path from 'node:path';
import { datasetHash, isTagging, splitOf, writeForgetSet, type Dataset, type Example, type ForgetSet } from '../../data';
import { classificationReport } from '../../eval';
import { writeFileAtomic } from '../../io/atomic';
import { loadSisaEnsemble, trainSisa, type SisaSettings } from '../../methods/sisa';
import { startProgress } from '../progress';
import { snakeKeys } from '../../provenance/casing';
import { hashModel } from '../../provenance/hash';
import { provenance, relativePath } from '../../provenance/info';
import { trainingLineage, writeLineage } from '../../provenance/lineage';
import { ledgerTraining } from '../../provenance/record';
import type { Device } from '../../engine/device';

export interface SisaFinetuneRequest {
  model: string;
  out: string;
  dataset: Dataset;
  train: readonly Example[];
  forget?: ForgetSet;
  shards: number;
  slices: number;
  seed: number;
  splitSeed: number;
  settings: SisaSettings;
  resume: boolean;
  device: Device;
}

export function runSisaFinetune(req: SisaFinetuneRequest): void {
  const started = Date.now();
  let progress: ReturnType<typeof startProgress> | undefined;
  const log = (line: string) => {
    progress?.stop();
    progress = undefined;
    console.log(line);
  };
  log(`SISA: ${req.shards} shards x ${req.slices} slices over ${req.train.length} training examples`);
  const outcome = trainSisa({
    out: req.out, base: path.resolve(req.model), labels: req.dataset.labels, task: isTagging(req.dataset) ? 'token-classification' : 'sequence-classification', train: req.train, validation: splitOf(req.dataset, 'validation'),
    shards: req.shards, slices: req.slices, seed: req.seed, settings: req.settings, splitSeed: req.splitSeed, resume: req.resume, device: req.device, log,
    onStep: ({ step, total, values }) => {
      progress ??= startProgress('SISA fine-tuning', total, ['loss']);
      progress.update(step, { loss: (values.retain ?? NaN).toFixed(4) });
    },
  });
  progress?.stop();
  const test = splitOf(req.dataset, 'test');
  const ensemble = loadSisaEnsemble(req.out, { device: req.device });
  let report: ReturnType<typeof classificationReport>;
  let units = test.length;
  try {
    const scores = ensemble.score(test, { maxLength: req.settings.maxLength, batchSize: req.settings.batchSize });
    // A tagger's units are words: their tags come with the scores, as in evaluation.
    const truth = scores.unitLabels ? Array.from(scores.unitLabels) : test.map((e) => e.label);
    report = classificationReport(truth, Array.from(scores.predictions), req.dataset.labels.length);
    units = truth.length;
  } finally {
    ensemble.dispose();
  }
  if (req.forget) writeForgetSet(req.out, req.forget);
  const hyperparameters = snakeKeys({ ...req.settings, seed: req.seed });
  const baseHash = hashModel(req.model).manifest_hash;
  const lineage = trainingLineage({
    dir: req.out, kind: 'sisa', base: req.model, baseHash, dataset: req.dataset, trainHash: datasetHash(splitOf(req.dataset, 'train')),
    splitSeed: req.splitSeed, maxLength: req.settings.maxLength, hyperparameters, seed: req.seed, excluded: req.forget,
  });
  writeLineage(req.out, lineage);
  const record = {
    base_model: relativePath(req.out, req.model), base_model_absolute: path.resolve(req.model), base_model_hash: baseHash, dataset: req.dataset.name, seed: req.seed, split_seed: req.splitSeed,
    hyperparameters,
    data_hash: datasetHash(req.train), train_examples: req.train.length, labels: req.dataset.labels,
    forget: req.forget ? { spec: req.forget.spec, count: req.forget.ids.length, hash: req.forget.hash } : null,
    steps: outcome.steps,
    sisa: { shards: req.shards, slices: req.slices, stages: outcome.manifest.stages, resumed_stages: outcome.shards.reduce((s, o) => s + o.stagesResumed, 0) },
    test: { accuracy: report.accuracy, macro_f1: report.macroF1, examples: units, prediction: isTagging(req.dataset) ? 'majority vote per word' : 'majority vote' },
    wall_seconds: (Date.now() - started) / 1000, provenance: provenance({ device: req.device }),
  };
  writeFileAtomic(path.join(req.out, 'train.json'), `${JSON.stringify(record, null, 2)}\n`);
  ledgerTraining(req.out, lineage);
  console.log(`SISA (${req.shards} x ${req.slices}): test accuracy ${(100 * report.accuracy).toFixed(1)}%, macro-F1 ${report.macroF1.toFixed(3)} (majority vote); ${record.wall_seconds.toFixed(0)} s; wrote ${req.out}`);
}
