/**
 * Plain data the HTML report is drawn from. Everything here is already computed (by src/eval and
 * the run that produced it); the report only presents it, so it can be rebuilt from JSON files.
 */

/**
 * Flat metrics with the dotted keys of metrics.json: `accuracy.forget`, `accuracy.retain`,
 * `accuracy.test`, `macro_f1.forget|retain|test`, `mia.loss_auc`, `mia.confidence_auc`,
 * `mia.entropy_auc`, `mia.efficacy`, `gap.average`, `wall_seconds`, ... A missing key or a NaN
 * value is shown as "n/a".
 */
export type MetricMap = Readonly<Record<string, number>>;

/** One sample in a 2-D projection of a model's latent space (e.g. `pca2d` of its [CLS] vectors). */
export interface LatentPoint {
  x: number;
  y: number;
  /** Class name (not index): the colour of the point. */
  label: string;
  /** Whether the sample is in the forget set: drawn with a distinct, outlined marker. */
  isForget: boolean;
}

export interface LatentProjection {
  points: readonly LatentPoint[];
  /** Axis titles, default "PC 1" / "PC 2". */
  axisLabels?: readonly [string, string];
}

export interface ModelReport {
  /** Display name, e.g. 'original', 'unlearned (deepcut)', 'retrained'. */
  name: string;
  metrics: MetricMap;
  /** Omitted for models whose representations were not projected (no scatter is drawn). */
  latent?: LatentProjection;
}

/** One point of a training/unlearning loss curve: the step and each named loss at that step. */
export interface LossPoint {
  step: number;
  /** Loss name → value, e.g. `{ forget: 2.31, retain: 0.12, total: 2.43 }`. */
  values: Readonly<Record<string, number>>;
}

export interface ForgetSummary {
  /** The forget spec as the user wrote it, e.g. `user:alice` or `random:0.01`. */
  spec: string;
  /** Number of forget samples. */
  count: number;
  /** Content hash of the forget set (identifies it across runs). */
  hash: string;
}

/** One stopping check of an unlearning run, read from unlearn.json's `checks` (snake_case there; camelCase in records before 2026-12-03). */
export interface TimelineCheck {
  step: number;
  forgetAccuracy: number;
  /** Absent where the run did not score it (target rules score it at step 0 only). */
  heldoutAccuracy?: number;
  /** A check replayed one step at a time near the target (rewind). */
  fine?: boolean;
}

/**
 * An unlearning run's stopping checks against what it aimed at: the forget accuracy at every
 * check, the target (target rules), the check whose state was returned, and, when a retrained
 * model was evaluated, what it does on the forget set (what the target tries to predict).
 */
export interface StoppingTimeline {
  /** The stopping rule, e.g. 'accuracy', 'class-matched', 'references'. */
  rule: string;
  checks: readonly TimelineCheck[];
  /** Target rules: the estimated forget accuracy and where it came from. */
  target?: { accuracy: number; source: string };
  /** The step of the returned model. */
  chosenStep?: number;
  /** The retrained model's forget accuracy, when evaluated. */
  retrainForgetAccuracy?: number;
  /** Test accuracy of the model unlearning started from and of the result: the cost of unlearning. */
  testAccuracy?: { before: number; after: number };
}

export interface ReportInput {
  title: string;
  /** Dataset name as given by the user (escaped on output like every other string). */
  dataset: string;
  forget: ForgetSummary;
  /** When the results were produced, ISO 8601. */
  createdAt: string;
  /** Summary-table rows in display order. */
  models: readonly ModelReport[];
  /**
   * Name of the model every other row is compared with (the gold standard). Default: the model
   * named 'retrained' or 'retrain' when present; otherwise no comparison is highlighted.
   */
  referenceModel?: string;
  /** Per-method comparison rows (method name → metrics), drawn as grouped bars, in insertion order. */
  methods?: Readonly<Record<string, MetricMap>>;
  /** Per-run loss series (run name → points by step), drawn as line charts. */
  lossCurves?: Readonly<Record<string, readonly LossPoint[]>>;
  /** Per-run stopping checks (run name → timeline), drawn as line charts with a cost table. */
  stoppingTimelines?: Readonly<Record<string, StoppingTimeline>>;
  /** Free-form notes, shown as escaped paragraphs. */
  notes?: readonly string[];
}

/** One row of the experiment index page, linking to a report. */
export interface ReportIndexEntry {
  title: string;
  dataset: string;
  forgetSpec: string;
  method: string;
  seed: number;
  /** Link to the report, relative to the index file (a path, not URL-encoded; absolute URLs are refused). */
  href: string;
  /** Key metrics (same dotted keys as MetricMap); the index shows a fixed selection of them. */
  metrics: MetricMap;
  createdAt?: string;
}
