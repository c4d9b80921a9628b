// Retrain: fine-tune the pretrained encoder again on the retain set only, with the original
// run's hyper-parameters (from its train.json). The gold standard every method is measured
// against: exact by construction, and the slowest.
import * as path from 'node:path';
import { loadPretrained, savePretrained } from '../model';
import { finetune } from '../train/finetune';
import { readTrainRecord } from '../train/record';
import { registerMethod } from './registry';
import type { Classifier, CustomMethod } from './types';

export const retrain: CustomMethod = {
  kind: 'custom',
  name: 'retrain',
  description: 'gold standard: fine-tune the pretrained encoder from scratch on the retain set (hyper-parameters from train.json)',
  hyperparameters: {},
  run(ctx) {
    const record = readTrainRecord(ctx.modelDir);
    const base = ctx.baseModel ?? record?.base_model;
    if (!record || !base) {
      throw new Error(`${ctx.modelDir} has no train.json from 'deepcut finetune', so the original training cannot be repeated (pass --base DIR and fine-tune settings are the defaults)`);
    }
    const { model, tokenizer } = loadPretrained(base, { labels: [...ctx.labels] });
    if (!tokenizer) throw new Error(`${base} has no tokenizer.json`);
    const classifier = model as Classifier;
    try {
      const h = record.hyperparameters;
      ctx.log(`retraining from ${base} on ${ctx.retain.length} retain examples (${h.epochs} epochs, lr ${h.lr}, batch ${h.batchSize})`);
      const losses: { step: number; values: Record<string, number> }[] = [];
      const result = finetune(classifier, tokenizer, ctx.retain, ctx.validation, {
        epochs: h.epochs, batchSize: h.batchSize, lr: h.lr, weightDecay: h.weightDecay, warmupFraction: h.warmupFraction,
        maxLength: h.maxLength, patience: h.patience, seed: ctx.seed,
        checkpointDir: path.join(ctx.out, 'checkpoint'), resume: ctx.resume,
        onStep: ({ step, totalSteps, loss }) => {
          losses.push({ step, values: { retain: loss } });
          ctx.onStep?.({ step, total: totalSteps, values: { retain: loss } });
        },
      });
      savePretrained(classifier, ctx.out, { tokenizerDir: ctx.modelDir, overwrite: true });
      return { steps: result.steps, losses, details: { base_model: base, epochs: result.epochs, best_epoch: result.bestEpoch } };
    } finally {
      classifier.dispose();
    }
  },
};

registerMethod(retrain);
