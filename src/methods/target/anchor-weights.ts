// Which forget units a model that never saw their data subject would get wrong. The reference
// models answer it unit by unit (their kept outcomes on the train records they never saw), and a
// loss can spend its push there: a retrained model loses a subject's rare, subject-specific units
// and keeps the ones the rest of the data teaches ("the", a typical ham email), so pushing every
// forget unit alike moves retain and test units of the same kind too (measured: docs/results.md).
//
// weight(u) = the mean, over the references that never saw u's subject, of 1 − p_ref(label of u)
// (how likely they are to miss it), divided by that mean over all judged units, so the weights
// average 1 and the learning rate keeps its meaning. Units of subjects that keep records in the
// retain set (a random record of a staying sender) get weight 1: a retrained model still sees
// their subject, and the references, which did not, would overstate what it forgets.
import * as path from 'node:path';
import type { Example } from '../../data';
import type { ReferencesManifest } from './manifest';
import { subjectOf } from './partition';
import { readUnseenScores, unseenScoresFile, type UnseenScores } from './unseen-scores';

export interface AnchorWeightsInput {
  dir: string;
  manifest: ReferencesManifest;
  forget: readonly Example[];
  maxLength: number;
  keptSubjects?: ReadonlySet<string>;
}

export interface AnchorWeights {
  /** Per forget row id: one weight per unit (a text: one; a tagged sentence: its words in the window). */
  byId: ReadonlyMap<string, Float32Array>;
  /** Summary for unlearn.json. */
  summary: { judged_units: number; kept_subject_units: number; mean_miss_probability: number; max_weight: number; share_above_1: number };
}

export function referenceAnchorWeights(input: AnchorWeightsInput): AnchorWeights {
  const kept: (UnseenScores | undefined)[] = input.manifest.partitions.map((p) =>
    p.model_hash === undefined ? undefined : readUnseenScores(unseenScoresFile(input.dir, p.folder), { modelHash: p.model_hash, maxLength: input.maxLength }));
  const missing = input.manifest.partitions.filter((_, i) => !kept[i]).map((p) => p.folder);
  if (missing.length > 0) {
    throw new Error(`${path.join(input.dir)}: no kept unseen-record scores at max length ${input.maxLength} for ${missing.join(', ')}; anchor weights read them (run 'deepcut references ... --out ${input.dir} --resume' to score them)`);
  }
  const miss = new Map<string, Float32Array>();
  let total = 0;
  let units = 0;
  let keptUnits = 0;
  for (const e of input.forget) {
    const spans = kept.map((k) => k!.at.get(e.id));
    const count = spans.find((s) => s !== undefined)?.[1];
    if (count === undefined) throw new Error(`${input.dir}: every reference saw forget record '${e.id}' (or none was trained on its data): no reference shows how it looks unseen`);
    if (input.keptSubjects?.has(subjectOf(e))) {
      miss.set(e.id, new Float32Array(count).fill(Number.NaN)); // weight 1, filled in below
      keptUnits += count;
      continue;
    }
    const p = new Float32Array(count);
    let refs = 0;
    spans.forEach((span, r) => {
      if (!span) return;
      if (span[1] !== count) throw new Error(`${input.dir}: references lay out forget record '${e.id}' in ${span[1]} and ${count} units`);
      refs++;
      for (let k = 0; k < count; k++) p[k]! += 1 - Math.exp(-kept[r]!.loss[span[0] + k]!);
    });
    for (let k = 0; k < count; k++) {
      p[k] = p[k]! / refs;
      total += p[k]!;
    }
    units += count;
    miss.set(e.id, p);
  }
  // All judged units certain (no reference misses any): nothing to tell apart, so equal weights.
  const mean = units > 0 ? total / units : 0;
  let maxWeight = 0;
  let above = 0;
  const byId = new Map<string, Float32Array>();
  for (const [id, p] of miss) {
    const w = p.map((v) => (Number.isNaN(v) || mean <= 1e-12 ? 1 : v / mean));
    for (const v of w) {
      maxWeight = Math.max(maxWeight, v);
      if (v > 1) above++;
    }
    byId.set(id, w);
  }
  return {
    byId,
    summary: { judged_units: units, kept_subject_units: keptUnits, mean_miss_probability: mean, max_weight: maxWeight, share_above_1: (above) / Math.max(1, units + keptUnits) },
  };
}
