// Fine-tuning a sequence classifier: AdamW, linear warm-up/decay, gradient
// clipping, early stopping on the validation split (best weights restored).
// Run on the retain set only, the same loop is the "retrain" gold standard.
import { scope, F, AdamW, linearWarmupDecay, clipGradNormOnDevice, manualSeed, noGrad, keep, type Tensor } from '../engine';
import type { SequenceTokenizer } from '../text/types';
import type { Example } from '../data';
import { decayGroups } from './param-groups';
import { mixSeed, mulberry32, permutation } from '../util/prng';
import { hasEpochCheckpoint, loadEpochCheckpoint, saveEpochCheckpoint } from './checkpoint';
import { freezeLowerLayers, type UnitClassifier } from '../model';
import type { Module } from '../nn';
import { makeBatch, chunks } from './batches';
import { ScoredSample, type SampleScores, type UnitLayout } from '../methods/scored-sample';
import { classificationReport } from '../eval';
import { LINEAR_PROBE_MAX_WORDS, linearProbe, probedHeadReport, type LinearProbeRecord } from './linear-probe';
import type { DataParallel } from './distributed';

export interface FinetuneOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  warmupFraction: number;
  maxLength: number;
  /** Epochs without validation improvement before stopping. */
  patience: number;
  seed: number;
  /**
   * Fit the new head on the frozen encoder's features before fine-tuning (LP-FT; linear-probe.ts).
   * Off when omitted (records from before the option); FINETUNE_DEFAULTS, the CLI and experiments have it on.
   */
  linearProbe?: boolean;
  /**
   * Keep the embeddings and this many lower transformer layers at their pretrained weights
   * (freezeLowerLayers). 0 when omitted: records from before the option trained everything.
   */
  freezeLayers?: number;
  /**
   * Dropout for the fine-tune (hidden, attention and classifier), replacing the encoder's config
   * (applied when the model is loaded, and saved in its config.json). Omitted: the encoder's own.
   */
  dropout?: number;
  /** Save model, optimiser and history here after every epoch (resumable). */
  checkpointDir?: string;
  /** Continue from checkpointDir's last epoch when it holds one. */
  resume?: boolean;
  onStep?: (p: { step: number; totalSteps: number; epoch: number; loss: number }) => void;
  /**
   * Also score the probed head (frozen encoder) on these rows, normally the test split, so the
   * record shows what fine-tuning added over the frozen features. Not used for any choice.
   */
  probeTest?: readonly Example[];
  /** Phase messages (the linear probe's start and result). */
  log?: (line: string) => void;
  /**
   * Data-parallel: this process is one rank of a process group (distributed.ts says what each
   * rank does); only rank 0 writes checkpoints. Without it, one process trains on every row.
   */
  distributed?: DataParallel;
}

export const FINETUNE_DEFAULTS: FinetuneOptions = {
  epochs: 3, batchSize: 16, lr: 1e-4, weightDecay: 0.01, warmupFraction: 0.1, maxLength: 128, patience: 1, seed: 0, linearProbe: true,
};

export interface EpochRecord { epoch: number; trainLoss: number; validationAccuracy: number; validationMacroF1: number; seconds: number }
/** bestEpoch 0: no fine-tuning epoch beat the linear probe on validation; the probed head on the untouched encoder is kept. */
export interface FinetuneResult {
  epochs: EpochRecord[]; bestEpoch: number; steps: number; seconds: number; linearProbe?: LinearProbeRecord;
  /**
   * The kept epoch's per-unit validation outcomes, when a fine-tuning epoch of this run scored
   * them (not the probed head, not an epoch from before a resume): the returned weights' own, so
   * the caller need not score the split again (validation-scores.json).
   */
  bestValidation?: { scores: SampleScores; layout: UnitLayout };
}

/** A detached copy of every weight (the best epoch so far), owned by the caller. */
function copyState(model: Module): Map<string, Tensor> {
  return noGrad(() => new Map([...model.stateDict()].map(([k, v]) => [k, keep(v.clone())])));
}

export function finetune(
  model: UnitClassifier & Module,
  tokenizer: SequenceTokenizer,
  train: readonly Example[],
  validation: readonly Example[],
  options: FinetuneOptions,
): FinetuneResult {
  if (train.length === 0) throw new Error('fine-tuning needs at least one training example');
  const started = Date.now();
  freezeLowerLayers(model, options.freezeLayers ?? 0); // before the optimiser, which then holds only what trains
  const optimizer = new AdamW(decayGroups(model), { lr: options.lr, weightDecay: options.weightDecay });
  const stepsPerEpoch = Math.ceil(train.length / options.batchSize);
  const totalSteps = stepsPerEpoch * options.epochs;
  const schedule = linearWarmupDecay(options.lr, Math.round(totalSteps * options.warmupFraction), totalSteps);
  let epochs: EpochRecord[] = [];
  let best: { epoch: number; accuracy: number; state: Map<string, Tensor> } | undefined;
  /** The best epoch's validation outcomes, when this run scored it (see FinetuneResult.bestValidation). */
  let bestScores: SampleScores | undefined;
  // Tokenised once for every epoch's validation pass.
  const validationSample = validation.length > 0 ? new ScoredSample(validation, tokenizer, options.maxLength, 'validation split') : undefined;
  let step = 0;
  let firstEpoch = 1;
  let stopped = false;
  let probe: LinearProbeRecord | undefined;
  const dp = options.distributed;
  let resume = Boolean(options.resume && options.checkpointDir && hasEpochCheckpoint(options.checkpointDir));
  if (dp) resume = dp.agreeToResume(resume, options.checkpointDir);
  if (resume && options.checkpointDir) {
    const saved = loadEpochCheckpoint(options.checkpointDir, model, optimizer, options);
    ({ epochs, step, stopped, linearProbe: probe } = saved);
    best = saved.best;
    firstEpoch = saved.epoch + 1;
  } else if (options.linearProbe) {
    options.log?.(`linear probe: fitting the head on frozen features of ${train.length} training and ${validation.length} validation ${train[0]?.tokens ? `sentences (seeded sentences of at most ${LINEAR_PROBE_MAX_WORDS} words of each)` : 'texts'}`);
    probe = linearProbe(model, tokenizer, train, validation, options);
    if (options.probeTest && options.probeTest.length > 0 && (dp?.isLeader ?? true)) {
      const test = probedHeadReport(model, tokenizer, options.probeTest, options);
      probe = { ...probe, test_accuracy: test.accuracy, test_macro_f1: test.macroF1 };
    }
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    const val = probe.validation_accuracy === null ? 'no validation split, C = 1' : `validation accuracy ${pct(probe.validation_accuracy)}`;
    const test = probe.test_accuracy === undefined ? '' : `, test accuracy ${pct(probe.test_accuracy)} / macro-F1 ${probe.test_macro_f1!.toFixed(3)}`;
    options.log?.(`linear probe: C = ${probe.c}, train accuracy ${pct(probe.train_accuracy)}, ${val}${test} (${probe.seconds.toFixed(0)} s)`);
    // The probed head on the frozen encoder is "epoch 0": fine-tuning must beat it on validation
    // to be kept (measured: USE-Lite's first fine-tuning epoch can fall below it on Brown).
    if (probe.validation_accuracy !== null) {
      const state = copyState(model);
      best = { epoch: 0, accuracy: probe.validation_accuracy, state };
    }
  }
  dp?.start(model, best);
  // A batch's mean loss over these training rows' labelled units (texts; a tagger's words), and how many.
  const batchLoss = (rows: readonly number[]): { loss: Tensor; units: number } => {
    const batch = makeBatch(tokenizer, rows.map((i) => train[i]!), options.maxLength, model.device);
    return { loss: F.crossEntropy(model.forward(batch).logits, batch.labels), units: batch.unitOffsets[batch.unitOffsets.length - 1]! };
  };
  for (let epoch = firstEpoch; epoch <= options.epochs && !stopped; epoch++) {
    const epochStart = Date.now();
    model.train();
    let lossSum = 0;
    const order = permutation(train.length, mulberry32(options.seed * 1009 + epoch));
    for (const idx of chunks(order, options.batchSize)) {
      const loss = scope(() => {
        // Dropout depends on (seed, step) only: resumes are exact. Data-parallel, on the rank too (each shard its own masks).
        manualSeed(dp ? mixSeed(options.seed, step, dp.rank) : mixSeed(options.seed, step));
        optimizer.lr = schedule(step);
        optimizer.zeroGrad();
        // Data-parallel: this rank's share of the batch, the gradients then summed across ranks.
        const l = dp ? dp.backward(dp.shardOf(idx), model.trainableParameters(), batchLoss) : batchLoss(idx).loss;
        if (!dp) l.backward();
        clipGradNormOnDevice(model.trainableParameters(), 1.0);
        optimizer.step();
        return l.item();
      });
      lossSum += loss;
      step++;
      options.onStep?.({ step, totalSteps, epoch, loss });
    }
    let scored: SampleScores | undefined;
    const score = () => {
      const outcomes = validationSample!.score(model);
      scored = outcomes;
      return { accuracy: outcomes.accuracy, macroF1: classificationReport(validationSample!.layout.labels, outcomes.predictions, model.numLabels).macroF1 };
    };
    const val = validationSample ? (dp ? dp.leaderScore(score) : score()) : undefined;
    epochs.push({
      epoch, trainLoss: lossSum / stepsPerEpoch,
      validationAccuracy: val?.accuracy ?? NaN, validationMacroF1: val?.macroF1 ?? NaN, seconds: (Date.now() - epochStart) / 1000,
    });
    // Early stopping: keep a copy of the best weights; stop after `patience` epochs without improvement.
    const accuracy = val?.accuracy ?? epoch; // no validation split: the last epoch counts as best
    if (!best || accuracy > best.accuracy) {
      for (const t of best?.state.values() ?? []) t.dispose();
      const state = copyState(model);
      best = { epoch, accuracy, state };
      bestScores = scored;
    } else if (epoch - best.epoch >= options.patience) {
      stopped = true;
    }
    if (options.checkpointDir && (dp?.isLeader ?? true)) saveEpochCheckpoint(options.checkpointDir, model, optimizer, best, { epoch, step, epochs, stopped, options, linearProbe: probe });
  }
  model.loadStateDict(best!.state);
  for (const t of best!.state.values()) t.dispose();
  return {
    epochs, bestEpoch: best!.epoch, steps: step, seconds: (Date.now() - started) / 1000, ...(probe ? { linearProbe: probe } : {}),
    ...(bestScores && validationSample ? { bestValidation: { scores: bestScores, layout: validationSample.layout } } : {}),
  };
}
