// The fine-tuning recipe a model folder records: train.json for a fine-tuned model, sisa.json for
// a SISA ensemble (an unlearned SISA folder has only the latter). Commands default their max length
// and split seed to it, so a model is scored and unlearned on the inputs it was trained on.
import { readTrainRecord } from '../train/record';
import { isSisaDir, readSisaManifest } from './sisa/layout';

export interface RecordedRecipe {
  maxLength?: number;
  splitSeed?: number;
}

export function recordedRecipe(dir: string): RecordedRecipe {
  const record = readTrainRecord(dir);
  if (record) return { maxLength: record.hyperparameters.maxLength, splitSeed: record.split_seed };
  if (isSisaDir(dir)) {
    const manifest = readSisaManifest(dir);
    return { maxLength: manifest.hyperparameters.maxLength, splitSeed: manifest.split_seed };
  }
  return {};
}
