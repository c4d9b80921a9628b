/**
 * Unlearning evaluation of a model against the forget, retain and test sets, in three separable
 * steps so that a reference model (Retrain) is scored once and reused for many evaluated models:
 *
 *   selectEvalSets  – the examples to score (retain subsampled, seeded);
 *   scoreSets       – run a Scorable on them: logits, embeddings, per-sample statistics;
 *   metricsFromScores – accuracy / macro-F1 per set, membership inference, latent geometry;
 *   gapToReference  – |metric − reference metric| and the average gap.
 *
 * evaluateModel chains them and returns the nested metrics of metrics.json
 * (`flattenMetrics` gives the dotted keys: accuracy.forget, mia.loss_auc, gap.average, ...).
 *
 * MIA conventions: `mia.*_auc` attack forget (members) vs test (non-members) by one per-sample
 * feature (crossValidatedMia: balanced, stratified k-fold logistic regression); `mia.efficacy` is
 * SalUn's: an attacker trained on the scored retain sample (members) vs test (non-members) by
 * the true-class confidence, applied to the forget set; the share called non-member.
 * Latent conventions: class centroids (of L2-normalised embeddings) and kNN neighbours come from
 * the scored retain sample, in the model's own representation space; queries are forget samples.
 * Undefined values (e.g. the AUC of a one-sample forget set) are NaN, written as null in JSON.
 * macro_f1.forget averages F1 over the classes the forget set holds (macroF1OverPresent);
 * macro_f1.retain / .test over the classes in truth or prediction.
 */
import { subjectOf, type Example } from '../data';
import { idSetHash } from '../data/hash';
import { classificationReport } from './classification';
import { AVERAGE_GAP_KEYS, gap } from './gap';
import { centroidCosine, classCentroids, knnLabelAgreement } from './latent';
import { miaByFeature, miaEfficacy } from './mia';
import { pca2d } from './pca';
import { type PerSampleStats, perSampleStats } from './per-sample';
import { mulberry32, sampleIndices } from './rng';
import type { ModelScores, Scorable, ScoreOptions } from './scorable';
import type { AuditMetrics } from './membership-audit';
import type { RelearnMetrics } from './relearn-steps';

export const EVAL_SETS = ['forget', 'retain', 'test'] as const;
export type EvalSetName = (typeof EVAL_SETS)[number];

export const MIA_KEYS = ['loss_auc', 'confidence_auc', 'entropy_auc', 'efficacy'] as const;
export const LATENT_KEYS = ['own_centroid_cosine', 'nearest_other_centroid_cosine', 'centroid_margin', 'closer_to_other_share', 'knn_agreement'] as const;

export type SetMetrics = Record<EvalSetName, number>;
/** Membership inference: AUCs in [0, 1] (0.5 = forget set looks unseen); efficacy in [0, 1]. */
export type MiaMetrics = Record<(typeof MIA_KEYS)[number], number>;
/**
 * Forget samples in the model's latent space: mean cosine to their own-class centroid, to the
 * nearest other-class centroid, the mean margin between the two (in [-2, 2]), the share closer to
 * another class, and the share whose kNN majority label is their own.
 */
export type LatentMetrics = Record<(typeof LATENT_KEYS)[number], number>;

/** The measurements of one model (no comparison). */
export interface ModelMetrics {
  accuracy: SetMetrics;
  macro_f1: SetMetrics;
  mia: MiaMetrics;
  latent: LatentMetrics;
  /** Per-example membership audit with reference models (eval --audit; audit-run.ts). */
  audit?: AuditMetrics;
  /** Relearning check (eval --relearn; relearn.ts). */
  relearn?: RelearnMetrics;
  /**
   * The forget set's data subjects on their own test rows (present when the test split holds
   * some): a model retrained without a subject loses what it knew of the subject's style, so its
   * accuracy there drops, while a method that only edits the forget rows keeps it.
   */
  subjects?: { test_accuracy: number };
}

/** |metric − reference metric| for each ModelMetrics entry, plus the average gap. */
export interface GapMetrics extends ModelMetrics {
  /** Mean over AVERAGE_GAP_KEYS (forget/retain/test accuracy and mia.loss_auc). */
  average: number;
}

/** metrics.json's content as far as the library knows it (the CLI adds provenance). */
export interface UnlearningMetrics extends ModelMetrics {
  /** The reference model's own measurements, when there is a reference. */
  reference?: ModelMetrics;
  gap?: GapMetrics;
  forget: { count: number; hash: string };
  /** count: retain examples given; scored: the sample actually scored (also the MIA-efficacy members). */
  retain: { count: number; scored: number };
  /** subject_rows: test rows whose data subject is one of the forget set's (subjects.test_accuracy's rows). */
  test: { count: number; subject_rows: number };
  model?: { hash: string };
  reference_model?: { hash: string };
  wall_seconds: number;
}

export interface EvalSets {
  forget: readonly Example[];
  /** The scored retain sample. */
  retain: readonly Example[];
  test: readonly Example[];
  /**
   * Indices into `test` of the rows whose data subject (Example.user) is one of the forget set's;
   * empty when the forget set's subjects have no test rows (or records have no users).
   */
  subjectTest: Int32Array;
  /** Size of the retain set before sampling. */
  retainTotal: number;
  /** Identity of the three id sets: scores of different models are comparable only when equal. */
  fingerprint: string;
}

export interface SampleOptions {
  /** Retain examples to score, drawn without replacement (default 1000; 0 = all). */
  retainSample?: number;
  /** Seed of the retain sample (default 0). */
  seed?: number;
}

export const DEFAULT_RETAIN_SAMPLE = 1000;

/** Fixes the examples to score: all of forget and test, a seeded sample of retain (kept in order). */
export function selectEvalSets(sets: { forget: readonly Example[]; retain: readonly Example[]; test: readonly Example[] }, options: SampleOptions = {}): EvalSets {
  const { retainSample = DEFAULT_RETAIN_SAMPLE, seed = 0 } = options;
  if (!Number.isInteger(retainSample) || retainSample < 0) throw new RangeError(`retainSample must be a non-negative integer, got ${retainSample}`);
  const retain =
    retainSample === 0 || retainSample >= sets.retain.length
      ? sets.retain
      : sampleIndices(sets.retain.length, retainSample, mulberry32(seed)).map((i) => sets.retain[i]!);
  const fingerprint = EVAL_SETS.map((name) => idSetHash((name === 'retain' ? retain : sets[name]).map((e) => e.id))).join(':');
  // A record without a user is its own subject and never has test rows.
  const subjects = new Set(sets.forget.filter((e) => e.user !== undefined).map(subjectOf));
  const subjectTest = Int32Array.from(sets.test.flatMap((e, i) => (subjects.has(subjectOf(e)) ? [i] : [])));
  return { forget: sets.forget, retain, test: sets.test, subjectTest, retainTotal: sets.retain.length, fingerprint };
}

/** One set's scores: the model's outputs plus the true labels and per-sample statistics. */
export interface SampleScores extends ModelScores {
  labels: Int32Array;
  stats: PerSampleStats;
}

export interface SetScores {
  numLabels: number;
  /** EvalSets.fingerprint of the sets scored. */
  fingerprint: string;
  forget: SampleScores;
  retain: SampleScores;
  test: SampleScores;
  /** EvalSets.subjectTest: the test rows of the forget set's subjects. */
  subjectTest: Int32Array;
}

export interface ScoreSetsOptions extends Omit<ScoreOptions, 'onProgress'> {
  /** Examples scored so far over all three sets, and their total. */
  onProgress?: (done: number, total: number) => void;
}

/** Runs the model on forget, retain sample and test. */
export function scoreSets(scorable: Scorable, sets: EvalSets, options: ScoreSetsOptions): SetScores {
  const total = sets.forget.length + sets.retain.length + sets.test.length;
  let offset = 0;
  const scoreOne = (examples: readonly Example[]): SampleScores => {
    const start = offset;
    const scores = scorable.score(examples, {
      maxLength: options.maxLength,
      batchSize: options.batchSize,
      onProgress: (done) => options.onProgress?.(start + done, total),
    });
    offset += examples.length;
    // A tagger's units are its words: their tags come with the scores.
    const labels = scores.unitLabels ?? Int32Array.from(examples, (e) => e.label);
    return { ...scores, labels, stats: perSampleStats(scores.logits, labels, scorable.numLabels) };
  };
  const forget = scoreOne(sets.forget);
  const retain = scoreOne(sets.retain);
  const test = scoreOne(sets.test);
  return { numLabels: scorable.numLabels, fingerprint: sets.fingerprint, forget, retain, test, subjectTest: sets.subjectTest };
}

export interface MetricOptions {
  /** Seed of the MIA subsampling and folds (default 0). */
  seed?: number;
  /** MIA cross-validation folds (default 5). */
  folds?: number;
  /** Neighbours for the kNN agreement (default 5). */
  knnK?: number;
}

function vectorsOf(scores: SampleScores): { data: Float32Array; rows: number; dim: number } {
  return { data: scores.embeddings, rows: scores.labels.length, dim: scores.dim };
}

/**
 * A per-unit statistic as one value per example: itself for texts, the mean over a tagged
 * sentence's words (membership inference judges records, and a record is the sentence).
 */
export function perExample(values: Float64Array, unitOffsets: Int32Array | undefined): Float64Array {
  if (!unitOffsets) return values;
  const out = new Float64Array(unitOffsets.length - 1);
  for (let i = 0; i < out.length; i++) {
    const from = unitOffsets[i]!;
    const to = unitOffsets[i + 1]!;
    if (to <= from) throw new RangeError(`example ${i} has no labelled unit`);
    let sum = 0;
    for (let u = from; u < to; u++) sum += values[u]!;
    out[i] = sum / (to - from);
  }
  return out;
}

/** Most units the kNN agreement compares for a tagger (queries, reference): O(queries x reference x dim) in JS. */
export const KNN_MAX_UNITS = { queries: 1000, reference: 4000 } as const;

/** A seeded subset of at most `max` units (vectors and labels), all of them when there are fewer. */
function unitSample(scores: SampleScores, max: number, seed: number): { vectors: { data: Float32Array; rows: number; dim: number }; labels: Int32Array } {
  const rows = scores.labels.length;
  if (rows <= max) return { vectors: vectorsOf(scores), labels: scores.labels };
  const at = sampleIndices(rows, max, mulberry32(seed));
  const data = new Float32Array(max * scores.dim);
  at.forEach((r, j) => data.set(scores.embeddings.subarray(r * scores.dim, (r + 1) * scores.dim), j * scores.dim));
  return { vectors: { data, rows: max, dim: scores.dim }, labels: Int32Array.from(at, (r) => scores.labels[r]!) };
}

/**
 * Macro-F1 over the classes the set actually holds (support > 0). The forget set is often one
 * class (one sender's emails): over the union of true and predicted classes, one wrong prediction
 * would add a predicted-only class with F1 0 and halve the score (99.8% accuracy as 0.4995).
 * Used for macro_f1.forget; retain and test keep the union convention (sklearn's default).
 */
export function macroF1OverPresent(report: { perClass: readonly { f1: number; support: number }[] }): number {
  const present = report.perClass.filter((m) => m.support > 0);
  return present.length > 0 ? present.reduce((sum, m) => sum + m.f1, 0) / present.length : NaN;
}

/** Accuracy over the units of some rows of a set (a text row is one unit, a tagged sentence its words); NaN without units. */
export function accuracyOfRows(scores: SampleScores, rows: Int32Array): number {
  let right = 0;
  let units = 0;
  for (const r of rows) {
    const from = scores.unitOffsets ? scores.unitOffsets[r]! : r;
    const to = scores.unitOffsets ? scores.unitOffsets[r + 1]! : r + 1;
    for (let u = from; u < to; u++, units++) if (scores.stats.predictions[u] === scores.labels[u]) right++;
  }
  return units > 0 ? right / units : NaN;
}

/** Accuracy, macro-F1, MIA and latent metrics from a model's scores (see module comment). */
export function metricsFromScores(scores: SetScores, options: MetricOptions = {}): ModelMetrics {
  const { seed = 0, folds = 5, knnK = 5 } = options;
  const numLabels = scores.numLabels;
  const reports = Object.fromEntries(
    EVAL_SETS.map((name) => [name, classificationReport(scores[name].labels, scores[name].stats.predictions, numLabels)]),
  ) as Record<EvalSetName, ReturnType<typeof classificationReport>>;
  const features = (s: SampleScores) => ({
    loss: perExample(s.stats.loss, s.unitOffsets), confidence: perExample(s.stats.confidence, s.unitOffsets), entropy: perExample(s.stats.entropy, s.unitOffsets),
  });
  const attack = miaByFeature({ members: features(scores.forget), nonMembers: features(scores.test), folds, seed });
  const efficacy = miaEfficacy({
    retainFeatures: perExample(scores.retain.stats.confidence, scores.retain.unitOffsets),
    testFeatures: perExample(scores.test.stats.confidence, scores.test.unitOffsets),
    forgetFeatures: perExample(scores.forget.stats.confidence, scores.forget.unitOffsets),
    seed,
  });
  const centroids = classCentroids(vectorsOf(scores.retain), scores.retain.labels, numLabels, { normalise: true });
  const cosine = centroidCosine(vectorsOf(scores.forget), scores.forget.labels, centroids);
  // A tagger's sets hold ~20 units per record: the kNN agreement is measured on seeded samples of them.
  const queries = unitSample(scores.forget, KNN_MAX_UNITS.queries, seed + 17);
  const neighbours = unitSample(scores.retain, KNN_MAX_UNITS.reference, seed + 18);
  const knn =
    queries.labels.length > 0 && neighbours.labels.length > 0
      ? knnLabelAgreement({
          queries: queries.vectors, queryLabels: queries.labels,
          reference: neighbours.vectors, referenceLabels: neighbours.labels, numClasses: numLabels, k: knnK,
        }).agreement
      : NaN;
  return {
    accuracy: { forget: reports.forget.accuracy, retain: reports.retain.accuracy, test: reports.test.accuracy },
    macro_f1: { forget: macroF1OverPresent(reports.forget), retain: reports.retain.macroF1, test: reports.test.macroF1 },
    mia: {
      loss_auc: attack.loss_auc ?? NaN,
      confidence_auc: attack.confidence_auc ?? NaN,
      entropy_auc: attack.entropy_auc ?? NaN,
      efficacy: efficacy.efficacy,
    },
    latent: {
      own_centroid_cosine: cosine.ownMean,
      nearest_other_centroid_cosine: cosine.nearestOtherMean,
      centroid_margin: cosine.marginMean,
      closer_to_other_share: cosine.closerToOtherShare,
      knn_agreement: knn,
    },
    ...(scores.subjectTest.length > 0 ? { subjects: { test_accuracy: accuracyOfRows(scores.test, scores.subjectTest) } } : {}),
  };
}

/** |metric − reference| per entry and the average gap (NaN on either side gives NaN). */
export function gapToReference(metrics: ModelMetrics, reference: ModelMetrics): GapMetrics {
  const result = gap(metrics, reference, { averageKeys: AVERAGE_GAP_KEYS });
  const pick = <K extends string>(section: string, keys: readonly K[]): Record<K, number> =>
    Object.fromEntries(keys.map((key) => [key, result.byKey[`${section}.${key}`] ?? NaN])) as Record<K, number>;
  return {
    accuracy: pick('accuracy', EVAL_SETS),
    macro_f1: pick('macro_f1', EVAL_SETS),
    mia: pick('mia', MIA_KEYS),
    latent: pick('latent', LATENT_KEYS),
    ...(metrics.subjects && reference.subjects ? { subjects: pick('subjects', ['test_accuracy'] as const) } : {}),
    average: result.average,
  };
}

/** A model's scores and metrics on one EvalSets: computed once, reusable as a reference. */
export interface ModelEvaluation {
  scores: SetScores;
  metrics: ModelMetrics;
}

export interface EvaluateOptions extends ScoreSetsOptions, SampleOptions, MetricOptions {}

/** Scores a model on `sets` and measures it. */
export function evaluateScorable(scorable: Scorable, sets: EvalSets, options: EvaluateOptions): ModelEvaluation {
  const scores = scoreSets(scorable, sets, options);
  return { scores, metrics: metricsFromScores(scores, options) };
}

export interface EvaluateModelInput {
  scorable: Scorable;
  /** The gold-standard model (Retrain), or its ModelEvaluation from an earlier call on the same sets. */
  reference?: Scorable | ModelEvaluation;
  forget: readonly Example[];
  /** The whole retain set; a sample of options.retainSample is scored. */
  retain: readonly Example[];
  test: readonly Example[];
  options: EvaluateOptions;
  /** Progress of scoring, per model (overrides options.onProgress). */
  onProgress?: (which: 'model' | 'reference', done: number, total: number) => void;
  /** Recorded as model.hash / reference_model.hash when given. */
  modelHash?: string;
  referenceHash?: string;
}

export interface EvaluationResult {
  metrics: UnlearningMetrics;
  model: ModelEvaluation;
  /** The reference's evaluation: pass it as `reference` to later calls to skip re-scoring it. */
  reference?: ModelEvaluation;
  sets: EvalSets;
}

function isEvaluation(value: Scorable | ModelEvaluation): value is ModelEvaluation {
  return 'scores' in value && 'metrics' in value;
}

/** metrics.json's counts of the scored sets (and the forget set's hash). */
export function setCounts(sets: EvalSets): Pick<UnlearningMetrics, 'forget' | 'retain' | 'test'> {
  return {
    forget: { count: sets.forget.length, hash: idSetHash(sets.forget.map((e) => e.id)) },
    retain: { count: sets.retainTotal, scored: sets.retain.length },
    test: { count: sets.test.length, subject_rows: sets.subjectTest.length },
  };
}

/** Evaluates `scorable` (and the reference, unless already evaluated) and compares them. */
export function evaluateModel(input: EvaluateModelInput): EvaluationResult {
  const started = Date.now();
  const sets = selectEvalSets(input, input.options);
  const { onProgress } = input;
  const optionsFor = (which: 'model' | 'reference'): EvaluateOptions =>
    onProgress ? { ...input.options, onProgress: (done, total) => onProgress(which, done, total) } : input.options;
  const model = evaluateScorable(input.scorable, sets, optionsFor('model'));
  let reference: ModelEvaluation | undefined;
  if (input.reference !== undefined) {
    reference = isEvaluation(input.reference) ? input.reference : evaluateScorable(input.reference, sets, optionsFor('reference'));
    if (reference.scores.fingerprint !== sets.fingerprint) {
      throw new Error('the reference evaluation was computed on different forget/retain/test sets (same data, forget set, retainSample and seed are needed)');
    }
    if (reference.scores.numLabels !== model.scores.numLabels) {
      throw new Error(`the reference has ${reference.scores.numLabels} labels, the evaluated model ${model.scores.numLabels}`);
    }
  }
  const metrics: UnlearningMetrics = {
    ...model.metrics,
    ...(reference ? { reference: reference.metrics, gap: gapToReference(model.metrics, reference.metrics) } : {}),
    ...setCounts(sets),
    ...(input.modelHash !== undefined ? { model: { hash: input.modelHash } } : {}),
    ...(input.referenceHash !== undefined ? { reference_model: { hash: input.referenceHash } } : {}),
    wall_seconds: (Date.now() - started) / 1000,
  };
  return { metrics, model, ...(reference ? { reference } : {}), sets };
}

export interface LatentPoint2d {
  x: number;
  y: number;
  /** Class index. */
  label: number;
  set: EvalSetName;
}

export interface Latent2d {
  points: LatentPoint2d[];
  /** Share of variance on PC 1 and PC 2 (of the projected points). */
  explainedVarianceRatio: [number, number];
}

/**
 * 2-D PCA of one model's embeddings, fitted (one basis per model) on every forget sample plus up
 * to `background` seeded samples each of retain and test, which are the points returned.
 * No points when fewer than two samples or dimensions.
 */
export function latentProjection(scores: SetScores, options: { background?: number; seed?: number } = {}): Latent2d {
  const { background = 200, seed = 0 } = options;
  const random = mulberry32(seed);
  const chosen: { set: EvalSetName; row: number }[] = [];
  for (const set of EVAL_SETS) {
    const rows = scores[set].labels.length;
    // Every forget sample, except a tagger's: its sets hold ~20 words per sentence, so at most 5x background of them.
    const cap = set !== 'forget' ? background : scores[set].unitOffsets ? 5 * background : Infinity;
    const picked = rows <= cap ? Array.from({ length: rows }, (_, i) => i) : sampleIndices(rows, cap, random);
    for (const row of picked) chosen.push({ set, row });
  }
  const dim = scores.forget.dim;
  if (chosen.length < 2 || dim < 2) return { points: [], explainedVarianceRatio: [NaN, NaN] };
  const data = new Float64Array(chosen.length * dim);
  chosen.forEach(({ set, row }, i) => data.set(scores[set].embeddings.subarray(row * dim, (row + 1) * dim), i * dim));
  const result = pca2d({ data, rows: chosen.length, dim });
  const points = chosen.map(({ set, row }, i) => ({ x: result.projections[2 * i]!, y: result.projections[2 * i + 1]!, label: scores[set].labels[row]!, set }));
  return { points, explainedVarianceRatio: [result.explainedVarianceRatio[0]!, result.explainedVarianceRatio[1]!] };
}
