// The target from reference models. For each forget record, the references trained on
// partitions without its data subject show how a model that never saw the subject does on it,
// relative to how the same references do on held-out rows of its class. That gap, not the
// references' raw accuracy (each saw only 1/K of the data), is carried over to the model being
// unlearned: target = the model's class-matched held-out accuracy − the references' gap.
import * as path from 'node:path';
import type { Example } from '../../data';
import { loadClassifier, type SequenceClassifier } from '../../model';
import type { Device, DeviceSpec } from '../../engine/device';
import type { SequenceTokenizer } from '../../text/types';
import type { Module } from '../../nn';
import { ScoredSample, sampleScores, unitsOf, type SampleScores, type UnitLayout } from '../scored-sample';
import { lossMia, type StopTarget } from '../stopping';
import { classFallbackNote, classMatched, classesWithoutHeldout, ratesByClass, type ClassRates } from './class-matched';
import type { HeldoutScores, ReferencesManifest } from './manifest';
import { idSetHash } from '../../data/hash';
import { subjectOf } from './partition';
import { readUnseenScores, unseenScoresFile } from './unseen-scores';

export interface ReferencesTargetInput {
  dir: string;
  manifest: ReferencesManifest;
  /** The forget rows the stopping checks score. */
  forget: readonly Example[];
  /** Their units as the input model's tokenizer lays them out (a text: one; a tagged sentence: its words in the window). */
  forgetUnits: UnitLayout;
  /** Held-out rows (the validation split). */
  heldout: readonly Example[];
  heldoutUnits: UnitLayout;
  /** The input model's per-class rates on `heldout`'s units. */
  modelRates: ClassRates;
  labels: readonly string[];
  maxLength: number;
  /** Where to score the references: the device of the model being unlearned. */
  device: Device;
  /**
   * Data subjects that keep records in the retain set. A forget row of such a subject (a random
   * record of a sender who stays) is judged by class-matched held-out accuracy alone: a model
   * retrained without the row still sees its subject's other records, and the validation split's
   * rows (other records of mostly seen subjects) are exactly that case. The references' gap, what
   * never seeing a subject costs, applies to rows whose whole subject is forgotten. Absent: every
   * row gets the gap (older callers).
   */
  keptSubjects?: ReadonlySet<string>;
  log?(line: string): void;
}

interface ReferenceScores {
  index: number;
  /** Per unit of the judged forget rows: correct / loss, or undefined where this reference saw the row. */
  correct: (boolean | undefined)[];
  loss: (number | undefined)[];
  /** Judged forget rows this reference never saw. */
  unseenRows: number;
  rates: ClassRates;
  heldoutLosses: number[];
  /** Whether the held-out scores came from references.json (not scored again). */
  heldoutCached: boolean;
  /** Whether the forget rows' outcomes came from the reference's kept unseen-row scores (no model run). */
  unseenCached: boolean;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

function quantiles(values: readonly number[]): { p10: number; p50: number; p90: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p10: at(0.1), p50: at(0.5), p90: at(0.9) };
}

/**
 * A reference's held-out scores as references.json keeps them: rows in the order of their ids
 * sorted (so any order of the rows maps), each row's units together; `units` (per sorted row)
 * only where a row is not one unit (a tagger's sentences).
 */
export function heldoutScores(heldout: readonly Example[], scores: SampleScores, layout: UnitLayout, maxLength: number): HeldoutScores {
  if (scores.correct.length !== layout.labels.length) throw new Error(`heldoutScores: ${scores.correct.length} outcomes for ${layout.labels.length} units`);
  const order = heldout.map((e, i) => i).sort((a, b) => (heldout[a]!.id < heldout[b]!.id ? -1 : heldout[a]!.id > heldout[b]!.id ? 1 : 0));
  const span = (i: number) => Array.from({ length: unitsOf(layout, i) }, (_, k) => layout.offsets[i]! + k);
  const units = order.map((i) => unitsOf(layout, i));
  return {
    max_length: maxLength, ids_hash: idSetHash(heldout.map((e) => e.id)),
    ids: order.map((i) => heldout[i]!.id),
    correct: order.flatMap((i) => span(i).map((u) => scores.correct[u]!)),
    loss: order.flatMap((i) => span(i).map((u) => scores.loss[u]!)),
    ...(units.some((n) => n !== 1) ? { units } : {}),
  };
}

/** The kept scores in `heldout`'s order, or undefined when they were taken on other rows, another max length or another unit layout. */
export function cachedHeldout(cache: HeldoutScores | undefined, heldout: readonly Example[], layout: UnitLayout, maxLength: number): SampleScores | undefined {
  if (!cache || cache.max_length !== maxLength || cache.ids_hash !== idSetHash(heldout.map((e) => e.id))) return undefined;
  const counts = cache.units ?? cache.ids.map(() => 1);
  const start = new Map<string, [number, number]>();
  let at = 0;
  cache.ids.forEach((id, i) => { start.set(id, [at, counts[i]!]); at += counts[i]!; });
  if (at !== cache.correct.length) return undefined;
  const correct: boolean[] = [];
  const loss: number[] = [];
  for (let r = 0; r < heldout.length; r++) {
    const [from, count] = start.get(heldout[r]!.id)!;
    if (count !== unitsOf(layout, r)) return undefined;
    for (let k = 0; k < count; k++) {
      correct.push(cache.correct[from + k]!);
      loss.push(cache.loss[from + k]!);
    }
  }
  return sampleScores(correct, loss);
}

/** Runs `fn` with a reference model loaded from `dir`, disposed after (also when it has no tokenizer). */
export function withReference<T>(dir: string, device: DeviceSpec, fn: (classifier: SequenceClassifier, tokenizer: SequenceTokenizer) => T): T {
  const { model, tokenizer } = loadClassifier(dir, { device });
  const classifier = model as SequenceClassifier & Module;
  try {
    if (!tokenizer) throw new Error(`${dir} has no tokenizer.json`);
    return fn(classifier, tokenizer);
  } finally {
    classifier.dispose();
  }
}

/** Reference `index`'s outcomes on the judged forget rows (`judged`: indices into input.forget) and on the held-out units. */
function scoreReference(input: ReferencesTargetInput, index: number, judged: readonly number[]): ReferenceScores {
  const p = input.manifest.partitions[index]!;
  const dir = path.join(input.dir, p.folder);
  const seen = new Set(p.ids);
  const unseen = judged.filter((r) => !seen.has(input.forget[r]!.id));
  const kept = cachedHeldout(p.heldout, input.heldout, input.heldoutUnits, input.maxLength);
  let scored: SampleScores | undefined;
  /** Where each unseen row's units start in `scored`. */
  let unseenOffsets: readonly number[] = [];
  const lookup = unseen.length > 0 && p.model_hash !== undefined ? cachedUnseen(unseenScoresFile(input.dir, p.folder), p.model_hash, unseen.map((r) => input.forget[r]!), unseen.map((r) => unitsOf(input.forgetUnits, r)), input.maxLength) : undefined;
  if (lookup) {
    scored = lookup.scores;
    unseenOffsets = lookup.offsets;
  }
  const scoreUnseen = unseen.length > 0 && !lookup;
  let heldout = kept;
  if (scoreUnseen || !heldout) {
    input.log?.(`references target: scoring reference ${index + 1}/${input.manifest.k} (${[scoreUnseen ? `${unseen.length} forget rows` : '', !heldout ? 'held-out rows' : ''].filter(Boolean).join(' and ')}; no kept scores for them)`);
    withReference(dir, input.device, (classifier, tokenizer) => {
      if (scoreUnseen) {
        const sample = new ScoredSample(unseen.map((r) => input.forget[r]!), tokenizer, input.maxLength, 'forget rows');
        if (unseen.some((r, i) => unitsOf(sample.layout, i) !== unitsOf(input.forgetUnits, r))) throw new Error(`${dir}: its tokenizer splits the forget sentences' words differently from the model being unlearned: references must share the original's tokenizer`);
        scored = sample.score(classifier);
        unseenOffsets = sample.layout.offsets;
      }
      if (!heldout) {
        const sample = new ScoredSample(input.heldout, tokenizer, input.maxLength, 'held-out rows');
        if (sample.size !== input.heldoutUnits.labels.length) throw new Error(`${dir}: its tokenizer lays out the held-out rows differently from the model being unlearned: references must share the original's tokenizer`);
        heldout = sample.score(classifier);
      }
    });
  }
  const unseenAt = new Map(unseen.map((r, i) => [r, i]));
  const correct: (boolean | undefined)[] = [];
  const loss: (number | undefined)[] = [];
  for (const r of judged) {
    const i = unseenAt.get(r);
    for (let k = 0; k < unitsOf(input.forgetUnits, r); k++) {
      correct.push(i === undefined ? undefined : scored!.correct[unseenOffsets[i]! + k]);
      loss.push(i === undefined ? undefined : scored!.loss[unseenOffsets[i]! + k]);
    }
  }
  return {
    index, correct, loss, unseenRows: unseen.length,
    rates: ratesByClass(input.heldoutUnits.labels, heldout!, input.labels.length),
    heldoutLosses: heldout!.loss,
    heldoutCached: kept !== undefined,
    unseenCached: !scoreUnseen,
  };
}

/** The rows' kept outcomes laid out as `units` says, or undefined when any row is missing or laid out differently. */
function cachedUnseen(file: string, modelHash: string, rows: readonly Example[], units: readonly number[], maxLength: number): { scores: SampleScores; offsets: number[] } | undefined {
  const kept = readUnseenScores(file, { modelHash, maxLength });
  if (!kept) return undefined;
  const correct: boolean[] = [];
  const loss: number[] = [];
  const offsets = [0];
  for (let i = 0; i < rows.length; i++) {
    const span = kept.at.get(rows[i]!.id);
    if (!span || span[1] !== units[i]) return undefined;
    for (let k = span[0]; k < span[0] + span[1]; k++) {
      correct.push(kept.correct[k] === 1);
      loss.push(kept.loss[k]!);
    }
    offsets.push(correct.length);
  }
  return { scores: sampleScores(correct, loss), offsets };
}

export function referencesTarget(input: ReferencesTargetInput): StopTarget {
  const { manifest, forget } = input;
  if (forget.length === 0) throw new Error('the references target needs at least one forget row');
  const where = new Map<string, number[]>();
  manifest.partitions.forEach((p) => p.ids.forEach((id) => where.set(id, [...(where.get(id) ?? []), p.index])));
  const unplaced = forget.filter((e) => !where.has(e.id));
  if (unplaced.length > 0) throw new Error(`${path.join(input.dir, 'references.json')}: no partition holds forget record '${unplaced[0]!.id}' (${unplaced.length} in all): the references were trained on other records`);
  const n = input.forgetUnits.labels.length;
  if (input.forgetUnits.offsets.length !== forget.length + 1) throw new Error(`referencesTarget: a unit layout of ${input.forgetUnits.offsets.length - 1} rows for ${forget.length} forget rows`);
  if (n === 0) throw new Error('the references target needs at least one forget unit (no forget word fits the window)');
  const model = classMatched(input.forgetUnits.labels, input.modelRates);
  const missing = classesWithoutHeldout(input.forgetUnits.labels, input.modelRates);
  // Only rows whose whole subject is forgotten are judged by the references (see keptSubjects).
  const judged = forget.map((e, r) => r).filter((r) => !input.keptSubjects?.has(subjectOf(forget[r]!)));
  const judgedLabels = judged.flatMap((r) => input.forgetUnits.labels.slice(input.forgetUnits.offsets[r]!, input.forgetUnits.offsets[r + 1]!));
  const judgedRowOf = judged.flatMap((r) => Array.from({ length: unitsOf(input.forgetUnits, r) }, () => r));
  const units = { forget_units: n, whole_subject_units: judgedLabels.length };
  if (judged.length === 0) {
    return {
      rule: 'references', accuracy: model.accuracy, loss: model.loss,
      source: `every forget row's data subject keeps records in the retain set, so a retrained model still sees each subject: the input model's class-matched validation accuracy (no reference model scored)`,
      estimate: { references: path.resolve(input.dir), k: manifest.k, whole_subject_rows: 0, kept_subject_rows: forget.length, ...units, model_heldout_accuracy: model.accuracy, model_heldout_loss: model.loss },
      ...(missing.length > 0 ? { notes: [classFallbackNote(missing, input.labels)] } : {}),
    };
  }
  // Partitions are disjoint, so each row has K−1 references that never saw its subject; k = 1 would leave none.
  const refs = manifest.partitions.map((p) => scoreReference(input, p.index, judged));
  let refForgetAccuracy = 0;
  let refHeldoutAccuracy = 0;
  let refForgetLoss = 0;
  let refHeldoutLoss = 0;
  let minOut = Infinity;
  const outLosses: number[] = [];
  judgedLabels.forEach((label, i) => {
    const out = refs.filter((r) => r.correct[i] !== undefined);
    if (out.length === 0) throw new Error(`every reference saw forget record '${forget[judgedRowOf[i]!]!.id}' (k = ${manifest.k}): no reference shows how unseen data of its subject behaves; use --stop class-matched`);
    minOut = Math.min(minOut, out.length);
    let acc = 0; let heldAcc = 0; let loss = 0; let heldLoss = 0;
    for (const r of out) {
      acc += r.correct[i] ? 1 : 0;
      heldAcc += r.rates.accuracy[label]!;
      loss += r.loss[i]!;
      heldLoss += r.rates.loss[label]!;
      outLosses.push(r.loss[i]!);
    }
    refForgetAccuracy += acc / out.length;
    refHeldoutAccuracy += heldAcc / out.length;
    refForgetLoss += loss / out.length;
    refHeldoutLoss += heldLoss / out.length;
  });
  const m = judgedLabels.length;
  const rows = judged.length;
  // The references' gap between held-out data and this subject's unseen units, carried over;
  // summed over the judged units and spread over all n (units of kept subjects add no gap).
  const gapAccuracy = (refHeldoutAccuracy - refForgetAccuracy) / n;
  const gapLoss = (refForgetLoss - refHeldoutLoss) / n;
  // The loss MIA the references show (their losses on the judged units, each from a reference
  // that never saw it, against their held-out losses): recorded, not a target (see estimatedGap).
  const heldoutLosses = refs.flatMap((r) => r.heldoutLosses);
  const lossAuc = lossMia(outLosses, heldoutLosses);
  const partly = rows < forget.length ? ` for the ${rows} of ${forget.length} rows whose whole subject is forgotten (the other rows' subjects keep records in the retain set: no gap)` : '';
  return {
    rule: 'references',
    accuracy: clamp01(model.accuracy - gapAccuracy),
    loss: Math.max(0, model.loss + gapLoss),
    source: `${manifest.k} reference models in ${input.dir} (each forget row judged by the ${minOut === manifest.k - 1 ? manifest.k - 1 : `${minOut}+`} that never saw its subject), gap carried over to the input model's class-matched validation accuracy${partly}`,
    estimate: {
      references: path.resolve(input.dir),
      k: manifest.k,
      whole_subject_rows: rows,
      kept_subject_rows: forget.length - rows,
      ...units,
      heldout_scores_kept: refs.every((r) => r.heldoutCached),
      forget_scores_kept: refs.every((r) => r.unseenCached),
      // Means over the judged (whole-subject) rows' units.
      references_forget_accuracy: refForgetAccuracy / m,
      references_heldout_accuracy: refHeldoutAccuracy / m,
      accuracy_gap: gapAccuracy,
      model_heldout_accuracy: model.accuracy,
      references_forget_loss: refForgetLoss / m,
      references_heldout_loss: refHeldoutLoss / m,
      loss_gap: gapLoss,
      model_heldout_loss: model.loss,
      // The per-sample loss distributions the gap summarises (unseen forget rows vs held-out rows).
      references_forget_loss_quantiles: quantiles(outLosses),
      references_heldout_loss_quantiles: quantiles(heldoutLosses),
      references_loss_mia_auc: lossAuc ?? null,
      per_reference: refs.map((r) => {
        const mine = r.correct.filter((c): c is boolean => c !== undefined);
        return {
          index: r.index, unseen_forget_rows: r.unseenRows,
          forget_accuracy: mine.length > 0 ? mine.filter(Boolean).length / mine.length : null,
          heldout_accuracy: r.rates.pooled.accuracy,
        };
      }),
    },
    ...(missing.length > 0 ? { notes: [classFallbackNote(missing, input.labels)] } : {}),
  };
}
