// The input model's outcomes on the validation split, kept beside its weights by fine-tuning
// (validation-scores.json). Every target rule's estimate starts from them (the model's
// class-matched held-out accuracy), so each deletion request used to score the whole split
// again: on the demo 3.3 s of a 29 s unlearning run. Keyed by the model's manifest hash and max
// length, so a model changed since (or scored at another window) is scored afresh.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { idSetHash, type Example } from '../../data';
import { writeFileAtomic } from '../../io/atomic';
import { readJsonFile } from '../../io/json-file';
import type { SampleScores, UnitLayout } from '../scored-sample';
import { cachedHeldout, heldoutScores } from './references';
import type { HeldoutScores } from './manifest';

export const VALIDATION_SCORES_FILE = 'validation-scores.json';
export const VALIDATION_SCORES_FORMAT = 'deepcut-validation-scores/1';

const fileSchema = z.object({
  format: z.literal(VALIDATION_SCORES_FORMAT),
  /** Manifest hash of the model folder these outcomes are of. */
  model_hash: z.string(),
  scores: z.object({
    max_length: z.number().int(), ids_hash: z.string(), ids: z.array(z.string()),
    correct: z.array(z.boolean()), loss: z.array(z.number()), units: z.array(z.number().int()).optional(),
  }),
});

export function validationScoresFile(modelDir: string): string {
  return path.join(modelDir, VALIDATION_SCORES_FILE);
}

/** Keeps a model's outcomes on the validation rows (`scores` in the rows' order, laid out as `layout`). */
export function writeValidationScores(modelDir: string, rows: readonly Example[], scores: SampleScores, layout: UnitLayout, meta: { modelHash: string; maxLength: number }): void {
  const record: z.infer<typeof fileSchema> = { format: VALIDATION_SCORES_FORMAT, model_hash: meta.modelHash, scores: heldoutScores(rows, scores, layout, meta.maxLength) };
  writeFileAtomic(validationScoresFile(modelDir), `${JSON.stringify(record)}\n`);
}

/**
 * The kept outcomes as written (rows in id order), or undefined when there are none or they were
 * taken of another model, at another max length or (given `rows`) of other rows. A file that does
 * not parse, or a field of the wrong type, is an error naming it: it is written whole.
 */
export function keptValidationScores(modelDir: string, want: { modelHash: string; maxLength: number; rows?: readonly Example[] }): HeldoutScores | undefined {
  const file = validationScoresFile(modelDir);
  if (!fs.existsSync(file)) return undefined;
  const raw = readJsonFile(file, fileSchema);
  if (raw.model_hash !== want.modelHash || raw.scores.max_length !== want.maxLength) return undefined;
  if (want.rows && raw.scores.ids_hash !== idSetHash(want.rows.map((e) => e.id))) return undefined;
  return raw.scores;
}

/**
 * The kept outcomes in `rows`' order, or undefined when there are none, or they were taken of
 * another model, at another max length, on other rows or with another unit layout (the caller
 * scores the rows then).
 */
export function readValidationScores(modelDir: string, rows: readonly Example[], layout: UnitLayout, want: { modelHash: string; maxLength: number }): SampleScores | undefined {
  return cachedHeldout(keptValidationScores(modelDir, want), rows, layout, want.maxLength);
}
