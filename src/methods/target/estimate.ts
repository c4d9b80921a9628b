// Estimates a target rule's target once, on the input model before any step: the same numbers
// on a resumed run, and a fixed mark to measure every check's distance against. (A target that
// followed the unlearned model's own held-out accuracy would drop as unlearning damages the
// model and so reward the damage.)
import type { Example } from '../../data';
import type { SequenceTokenizer } from '../../text/types';
import { ScoredSample } from '../scored-sample';
import { isTaggedBatch } from '../../train/batches';
import type { StopTarget, TargetRule } from '../stopping';
import type { Classifier } from '../types';
import { classMatchedTarget, ratesByClass } from './class-matched';
import { loadReferencesFor } from './manifest';
import { referencesTarget } from './references';
import type { Device } from '../../engine/device';
import { readValidationScores } from './validation-scores';

export interface TargetContext {
  rule: TargetRule;
  model: Classifier;
  tokenizer: SequenceTokenizer;
  /** The forget rows the stopping checks score. */
  forgetSample: readonly Example[];
  /** Held-out rows: the validation split. */
  validation: readonly Example[];
  labels: readonly string[];
  maxLength: number;
  /** Data subjects with records in the retain set (referencesTarget's keptSubjects). */
  keptSubjects?: ReadonlySet<string>;
  /** references: the folder written by `deepcut references`, and what it must match. */
  references?: { dir: string; dataset: string; splitSeed?: number; trainHash: string };
  /** The input model's folder and manifest hash: its kept validation scores (from fine-tuning) are used when they are of this model. */
  modelFolder?: { dir: string; hash: string };
  log?(line: string): void;
}

export function estimateTarget(ctx: TargetContext): StopTarget {
  if (ctx.validation.length === 0) {
    throw new Error(`the '${ctx.rule}' stopping rule compares the forget set with held-out rows, and this dataset has no validation rows: give it some (split: validation), or pass --stop none to run the fixed step budget`);
  }
  if (ctx.forgetSample.length === 0) throw new Error(`the '${ctx.rule}' stopping rule needs at least one forget record`);
  // References are checked before anything is scored: a mismatch is the likely mistake.
  const manifest = ctx.rule === 'references' ? loadReferencesManifest(ctx) : undefined;
  const heldout = new ScoredSample(ctx.validation, ctx.tokenizer, ctx.maxLength, 'validation split');
  const kept = ctx.modelFolder ? readValidationScores(ctx.modelFolder.dir, ctx.validation, heldout.layout, { modelHash: ctx.modelFolder.hash, maxLength: ctx.maxLength }) : undefined;
  if (kept) ctx.log?.(`input model's validation outcomes: kept by its fine-tune (${ctx.validation.length} rows, not scored again)`);
  const scores = kept ?? heldout.score(ctx.model);
  const modelRates = ratesByClass(heldout.layout.labels, scores, ctx.labels.length);
  const inputHeldout = { accuracy: scores.accuracy, meanLoss: scores.meanLoss };
  // Tokenised only, for its units: a tagger's target counts the forget words the checks score.
  const forgetUnits = new ScoredSample(ctx.forgetSample, ctx.tokenizer, ctx.maxLength, 'forget sample').layout;
  const keptFlag = { model_heldout_scores_kept: kept !== undefined };
  if (!manifest) {
    const t = classMatchedTarget(forgetUnits.labels, modelRates, ctx.labels, isTaggedBatch(ctx.forgetSample));
    return { ...t, estimate: { ...t.estimate, ...keptFlag }, inputHeldout };
  }
  const t = referencesTarget({
    dir: ctx.references!.dir, manifest, forget: ctx.forgetSample, forgetUnits, heldout: ctx.validation, heldoutUnits: heldout.layout,
    modelRates, labels: ctx.labels, maxLength: ctx.maxLength, device: ctx.model.device as Device, log: ctx.log,
    ...(ctx.keptSubjects ? { keptSubjects: ctx.keptSubjects } : {}),
  });
  return { ...t, estimate: { ...t.estimate, ...keptFlag }, inputHeldout };
}

function loadReferencesManifest(ctx: TargetContext): ReturnType<typeof loadReferencesFor> {
  if (!ctx.references) throw new Error("the 'references' stopping rule needs the reference models' folder (--references DIR, from 'deepcut references')");
  const r = ctx.references;
  return loadReferencesFor(r.dir, { dataset: r.dataset, splitSeed: r.splitSeed, trainHash: r.trainHash, labels: ctx.labels });
}
