// train.json: what `deepcut finetune` records next to a checkpoint, read back by the methods
// that must repeat the original training (retrain, sisa) and by evaluation (max length, split seed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../io/json-file';
import { camelKeys } from '../provenance/casing';

export const TRAIN_RECORD = 'train.json';

const settingsShape = {
  epochs: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  lr: z.number().positive(),
  weightDecay: z.number().nonnegative(),
  warmupFraction: z.number().nonnegative(),
  maxLength: z.number().int().positive(),
  patience: z.number().int().positive(),
  /** Absent in records from before linear probing: those fine-tunes had none. */
  linearProbe: z.boolean().optional(),
  /** Absent in records from before partial fine-tuning: every layer was trained. */
  freezeLayers: z.number().int().nonnegative().optional(),
  /** Absent: the encoder's own dropout (its config.json) was used. */
  dropout: z.number().min(0).max(1).optional(),
};

/** Records are snake_case (max_length, batch_size, ...); those written before the switch are camelCase. Both read as camelCase. */
const normalised = (value: unknown): unknown => (value !== null && typeof value === 'object' && !Array.isArray(value) ? camelKeys(value) : value);

/** The fine-tuning recipe as train.json (and sisa.json) record it, read in either casing. */
export const finetuneSettingsSchema = z.preprocess(normalised, z.object(settingsShape));
const finetuneSettingsPassthrough = z.preprocess(normalised, z.object(settingsShape).passthrough());

const trainRecordSchema = z.object({
  base_model: z.string(),
  dataset: z.string(),
  seed: z.number().int(),
  split_seed: z.number().int(),
  hyperparameters: finetuneSettingsPassthrough,
}).passthrough();

export type TrainRecord = z.infer<typeof trainRecordSchema>;

/** The model folder's train.json, or undefined when it has none (e.g. a checkpoint from elsewhere). */
export function readTrainRecord(dir: string): TrainRecord | undefined {
  const file = path.join(dir, TRAIN_RECORD);
  if (!fs.existsSync(file)) return undefined;
  return readJsonFile(file, trainRecordSchema);
}
