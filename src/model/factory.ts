// Builds the right model class for a (model type, task) pair.
import type { EncoderConfig, EncoderConfigInput } from './config';
import { encoderConfig } from './config';
import { BertForSequenceClassification, BertForTokenClassification, BertForMaskedLM } from './bert';
import { RobertaForSequenceClassification } from './roberta';
import { DistilBertForSequenceClassification, DistilBertForTokenClassification } from './distilbert';
import { UseLiteForSequenceClassification, UseLiteForTokenClassification } from './use-lite';
import { initWeights } from './init';
import { resolveDevice, type DeviceSpec } from '../engine/device';
import type { Task, TaskModels, AnyTaskModel } from './types';

export const TASKS: readonly Task[] = ['sequence-classification', 'token-classification', 'masked-lm'];

/** Constructs the module tree (weights are the layers' default init; load or initWeights next). */
export function buildModel<T extends Task>(config: EncoderConfig, task: T): TaskModels[T] {
  let model: AnyTaskModel;
  switch (task) {
    case 'sequence-classification':
      model = config.modelType === 'use-lite' ? new UseLiteForSequenceClassification(config)
        : config.modelType === 'bert' ? new BertForSequenceClassification(config)
        : config.modelType === 'roberta' ? new RobertaForSequenceClassification(config)
        : new DistilBertForSequenceClassification(config);
      break;
    case 'token-classification':
      model = config.modelType === 'distilbert' ? new DistilBertForTokenClassification(config)
        : config.modelType === 'use-lite' ? new UseLiteForTokenClassification(config)
        : new BertForTokenClassification(config);
      break;
    case 'masked-lm':
      if (config.modelType === 'use-lite') throw new Error('use-lite has no masked-LM head (it was pretrained as a sentence encoder)');
      model = new BertForMaskedLM(config);
      break;
    default:
      throw new Error(`unknown task '${String(task)}' (known: ${TASKS.join(', ')})`);
  }
  return model as TaskModels[T];
}

/**
 * A freshly initialised model (HF init) from a config; e.g. for pretraining:
 * createModel({ vocabSize, hiddenSize: 256, numLayers: 4, numHeads: 4, intermediateSize: 1024 }, { task: 'masked-lm' }).
 * Seed the engine (manualSeed) first for reproducible weights.
 */
export function createModel<T extends Task = 'sequence-classification'>(
  config: EncoderConfigInput,
  options: { task?: T; device?: DeviceSpec } = {},
): TaskModels[T] {
  const full = encoderConfig(config);
  const model = buildModel(full, (options.task ?? 'sequence-classification') as T);
  initWeights(model, full.initializerRange);
  // Initialised on the CPU (its seeded generator), then moved: the same weights on every device.
  if (options.device !== undefined && options.device !== 'cpu') model.to(resolveDevice(options.device));
  return model;
}
