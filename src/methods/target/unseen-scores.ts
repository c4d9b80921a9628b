// Each reference's scores on the train rows it never saw, kept beside references.json. The
// references target of any later request is then a lookup: the forget rows' outcomes under the
// references that never saw their subject are already known, so estimating a target runs no
// reference model (a request used to load and run all K of them). Computed once per reference,
// after it is trained: (K−1)/K of the train split each, K−1 forward passes over it in all.
//
// Compact on disk: a tagger's brown-pos has ~3 M such word outcomes. `correct` is a string of
// '0'/'1' per unit, `loss` the units' float32 losses in base64 (little-endian).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { Example } from '../../data';
import { idSetHash } from '../../data/hash';
import { writeFileAtomic } from '../../io/atomic';
import { readJsonFile } from '../../io/json-file';
import { unitsOf, type SampleScores, type UnitLayout } from '../scored-sample';

export const UNSEEN_SCORES_FORMAT = 'deepcut-unseen-scores/1';

const fileSchema = z.object({
  format: z.literal(UNSEEN_SCORES_FORMAT),
  /** The reference these outcomes are of (its manifest hash): a retrained reference invalidates them. */
  model_hash: z.string(),
  max_length: z.number().int(),
  ids_hash: z.string(),
  /** Rows in id order; each row's units together. */
  ids: z.array(z.string()),
  /** Units per row, where rows are not one unit each (a tagger's sentences). */
  units: z.array(z.number().int().nonnegative()).optional(),
  correct: z.string(),
  loss: z.string(),
});
type UnseenScoresFile = z.infer<typeof fileSchema>;

/** Outcomes of one reference on rows it never saw, by row id. */
export interface UnseenScores {
  /** Row id -> [first unit, unit count]. */
  readonly at: ReadonlyMap<string, readonly [number, number]>;
  readonly correct: Uint8Array;
  readonly loss: Float32Array;
}

export function unseenScoresFile(referencesDir: string, folder: string): string {
  return path.join(referencesDir, `${folder}.unseen-scores.json`);
}

/** Writes a reference's outcomes on `rows` (scored in the order given, laid out as `layout`). */
export function writeUnseenScores(file: string, rows: readonly Example[], scores: SampleScores, layout: UnitLayout, meta: { modelHash: string; maxLength: number }): void {
  if (scores.correct.length !== layout.labels.length) throw new Error(`writeUnseenScores: ${scores.correct.length} outcomes for ${layout.labels.length} units`);
  const order = rows.map((_, i) => i).sort((a, b) => (rows[a]!.id < rows[b]!.id ? -1 : rows[a]!.id > rows[b]!.id ? 1 : 0));
  const units = order.map((i) => unitsOf(layout, i));
  const correct: string[] = [];
  const loss = new Float32Array(layout.labels.length);
  let u = 0;
  for (const i of order) {
    for (let k = layout.offsets[i]!; k < layout.offsets[i + 1]!; k++) {
      correct.push(scores.correct[k] ? '1' : '0');
      loss[u++] = scores.loss[k]!;
    }
  }
  const record: UnseenScoresFile = {
    format: UNSEEN_SCORES_FORMAT, model_hash: meta.modelHash, max_length: meta.maxLength, ids_hash: idSetHash(rows.map((e) => e.id)),
    ids: order.map((i) => rows[i]!.id), ...(units.some((n) => n !== 1) ? { units } : {}),
    correct: correct.join(''), loss: Buffer.from(loss.buffer, loss.byteOffset, loss.byteLength).toString('base64'),
  };
  writeFileAtomic(file, `${JSON.stringify(record)}\n`);
}

/**
 * The kept outcomes, or undefined when there are none or they were taken of another model or at
 * another max length (the caller then scores the rows itself). A file that does not parse, or a
 * field of the wrong type, is an error naming it: it was written whole (atomically), so damage is
 * not silently skipped.
 */
export function readUnseenScores(file: string, want: { modelHash: string; maxLength: number }): UnseenScores | undefined {
  if (!fs.existsSync(file)) return undefined;
  let raw: UnseenScoresFile;
  try {
    raw = readJsonFile(file, fileSchema);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; delete it to score the references again`);
  }
  if (raw.model_hash !== want.modelHash || raw.max_length !== want.maxLength) return undefined;
  const counts = raw.units ?? raw.ids.map(() => 1);
  const bytes = Buffer.from(raw.loss, 'base64');
  const loss = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const total = counts.reduce((a, b) => a + b, 0);
  if (counts.length !== raw.ids.length || raw.correct.length !== total || loss.length !== total) {
    throw new Error(`${file}: ${raw.ids.length} rows, ${total} units, ${raw.correct.length} outcomes and ${loss.length} losses do not agree; delete it to score the references again`);
  }
  const at = new Map<string, readonly [number, number]>();
  let from = 0;
  raw.ids.forEach((id, i) => {
    at.set(id, [from, counts[i]!]);
    from += counts[i]!;
  });
  const correct = new Uint8Array(total);
  for (let i = 0; i < total; i++) correct[i] = raw.correct.charCodeAt(i) === 49 ? 1 : 0;
  return { at, correct, loss };
}
