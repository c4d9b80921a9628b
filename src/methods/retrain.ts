// Retrain: fine-tune the pretrained encoder again on the retain set only, with the original
// run's hyper-parameters (from its train.json). The gold standard every method is measured
// against: exact by construction, and the slowest.
import * as path from 'node:path';
import { loadClassifier, savedTask, savePretrained } from '../model';
import { finetune } from '../train/finetune';
import { recordedRecipe } from './recipe';
import { registerMethod } from './registry';
import type { Classifier, CustomMethod } from './types';

export const retrain: CustomMethod = {
  kind: 'custom',
  name: 'retrain',
  description: 'gold standard: fine-tune the pretrained encoder from scratch on the retain set, i.e. without everything forgotten so far (recipe from lineage.json / train.json)',
  hyperparameters: {},
  run(ctx) {
    // An unlearned folder carries its original's recipe in lineage.json, so generation N retrains too.
    const recipe = recordedRecipe(ctx.modelDir);
    const base = ctx.baseModel ?? recipe.baseModel;
    if (!recipe.settings || !base) {
      throw new Error(`${ctx.modelDir} records no fine-tune recipe (no lineage.json or train.json from 'deepcut finetune'), so the original training cannot be repeated`);
    }
    // The new head is drawn on the CPU (as the original's was), then the model moves to ctx.device.
    // The same head as the model being unlearned (a text classifier's or a tagger's).
    const { model, tokenizer } = loadClassifier(base, { labels: [...ctx.labels], device: ctx.device, task: savedTask(ctx.modelDir), ...(recipe.settings.dropout !== undefined ? { dropout: recipe.settings.dropout } : {}) });
    if (!tokenizer) throw new Error(`${base} has no tokenizer.json`);
    const classifier = model as Classifier;
    try {
      const h = recipe.settings;
      ctx.log(`retraining from ${base} on ${ctx.retain.length} retain examples (${h.epochs} epochs, lr ${h.lr}, batch ${h.batchSize})`);
      const losses: { step: number; values: Record<string, number> }[] = [];
      const result = finetune(classifier, tokenizer, ctx.retain, ctx.validation, {
        epochs: h.epochs, batchSize: h.batchSize, lr: h.lr, weightDecay: h.weightDecay, warmupFraction: h.warmupFraction,
        maxLength: h.maxLength, patience: h.patience, linearProbe: h.linearProbe, freezeLayers: h.freezeLayers, ...(h.dropout !== undefined ? { dropout: h.dropout } : {}), seed: ctx.seed, log: ctx.log,
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
