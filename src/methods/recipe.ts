// The fine-tuning recipe a model folder records: train.json for a fine-tuned model, sisa.json for
// a SISA ensemble (an unlearned SISA folder has only the latter), unlearn.json (+ the original's
// record) for an unlearned model. Commands default their max length and split seed to it, so a
// model is scored, unlearned and asked for predictions on the inputs it was trained on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTrainRecord } from '../train/record';
import { isSisaDir, readSisaManifest } from './sisa/layout';

export interface RecordedRecipe {
  maxLength?: number;
  splitSeed?: number;
}

export function recordedRecipe(dir: string, depth = 0): RecordedRecipe {
  const record = readTrainRecord(dir);
  if (record) return { maxLength: record.hyperparameters.maxLength, splitSeed: record.split_seed };
  if (isSisaDir(dir)) {
    const manifest = readSisaManifest(dir);
    return { maxLength: manifest.hyperparameters.maxLength, splitSeed: manifest.split_seed };
  }
  // An unlearned model: unlearn.json's max length, and the split seed of the model it came from.
  const unlearned = path.join(dir, 'unlearn.json');
  if (fs.existsSync(unlearned) && depth < 8) {
    const u = JSON.parse(fs.readFileSync(unlearned, 'utf8')) as { max_length?: unknown; model?: unknown };
    const from = typeof u.model === 'string' && fs.existsSync(u.model) ? recordedRecipe(u.model, depth + 1) : {};
    const maxLength = typeof u.max_length === 'number' ? u.max_length : from.maxLength;
    return { ...(maxLength !== undefined ? { maxLength } : {}), ...(from.splitSeed !== undefined ? { splitSeed: from.splitSeed } : {}) };
  }
  return {};
}
