// The fine-tuning recipe a model folder records: lineage.json (every folder written since
// lineages), else train.json for a fine-tuned model, sisa.json for a SISA ensemble, unlearn.json
// (+ its input model's records) for an unlearned model from before lineages. Commands default
// their max length and split seed to it, so a model is scored, unlearned, retrained and asked for
// predictions on the inputs it was trained on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTrainRecord } from '../train/record';
import type { FinetuneSettings } from '../train/run';
import { finetuneSettingsSchema } from '../train/record';
import { LINEAGE_FILE, readLineage } from '../provenance/lineage';
import { resolveRecorded } from '../provenance/info';
import { isSisaDir, readSisaManifest } from './sisa/layout';

export interface RecordedRecipe {
  maxLength?: number;
  splitSeed?: number;
  /** Absolute path of the base encoder the original was fine-tuned from. */
  baseModel?: string;
  /** The original's fine-tune settings (what retraining repeats), without the seed. */
  settings?: Omit<FinetuneSettings, 'seed'>;
}

function settingsOf(h: unknown): Omit<FinetuneSettings, 'seed'> | undefined {
  const parsed = finetuneSettingsSchema.safeParse(h);
  return parsed.success ? parsed.data : undefined;
}

export function recordedRecipe(dir: string): RecordedRecipe {
  if (!fs.existsSync(path.join(dir, LINEAGE_FILE))) {
    const record = readTrainRecord(dir);
    if (record) {
      return {
        maxLength: record.hyperparameters.maxLength, splitSeed: record.split_seed, baseModel: resolveRecorded(dir, record.base_model),
        settings: settingsOf(record.hyperparameters),
      };
    }
    if (isSisaDir(dir)) {
      const manifest = readSisaManifest(dir);
      return { maxLength: manifest.hyperparameters.maxLength, splitSeed: manifest.split_seed, baseModel: manifest.base_model, settings: manifest.hyperparameters };
    }
  }
  // lineage.json, or one pieced together from an older unlearned folder's records.
  const r = readLineage(dir).recipe;
  const settings = settingsOf(r.hyperparameters);
  return {
    ...(r.max_length !== undefined ? { maxLength: r.max_length } : {}),
    ...(r.split_seed !== undefined ? { splitSeed: r.split_seed } : {}),
    ...(r.base_model !== undefined ? { baseModel: resolveRecorded(dir, r.base_model) } : {}),
    ...(settings ? { settings } : {}),
  };
}
