// Experiments: datasets × forget requests × methods × seeds from one config, with shared work
// (one original per dataset and seed, one retrain per cell), resumable, and results tables,
// reports and an index at the end.
export { ConfigError, REFERENCE_METHOD, forgetKeys, loadConfigFile, parseConfig, type DatasetEntry, type ExperimentConfig, type ForgetEntry, type ParseOptions, type RawConfig } from './config';
export { ORIGINAL, describeUnit, planExperiment, type Cell, type EvalUnit, type FinetuneUnit, type Plan, type Unit, type UnlearnUnit } from './plan';
export { LATENT_FILE, METRICS_FILE, SettingsConflictError, markerFile, type UnitState } from './markers';
export type { MetricsRecord, ProgressBar, ProgressFactory } from './execute';
export { collectCell, type CellResults, type ModelResult } from './collect';
export { RESULT_COLUMNS, meanStd, resultsCsv, resultsMarkdown, rowsOf, type ResultRow } from './results';
export { cellReportInput, indexEntries } from './reports';
export {
  EXPERIMENT_FILE, INDEX_FILE, RESULTS_CSV, RESULTS_MD, checkExperimentOutput, runExperiment,
  type ExperimentOutcome, type RunExperimentOptions, type UnitAction, type UnitEvent,
} from './run';
// The job queue (src/experiment/queue) is imported on its own: it loads BullMQ and ioredis.
