// deepcut's public API: `import { ... } from 'deepcut'`. README "Using deepcut as a library" has
// the workflow; the tensor engine is below it for writing models, losses and methods.

// The workflow: fine-tune, unlearn, evaluate (+ report), predict.
export * from './api';
export { unlearn, checkOutput, UNLEARN_RECORD, type UnlearnRequest, type UnlearnRecord, type RecordedCheck, type RecordedRewind } from './methods/unlearn';

// Data: datasets (built-in names, JSONL/CSV files), splits and forget requests.
export {
  loadDataset, loadDatasetFile, buildDataset, listBuiltinDatasets, getBuiltinDataset, isBuiltinDataset,
  splitOf, retainSplit, resolveForgetSet, readForgetSet, writeForgetSet, parseForgetSpec, largestUsers,
  countByLabel, countBySplit, distinctUsers, datasetHash, idSetHash, assignSplit, sortLabels,
  DataError, DEFAULT_SEED, DEFAULT_SPLIT_RATIOS, FORGET_SPEC_SYNTAX, SPLITS,
  type Dataset, type Example, type Split, type DataCard, type ForgetSet, type ResolveOptions, type LoadOptions, type RawRecord, type SplitRatios,
} from './data';

// Models: Hugging Face folders in and out, the shipped encoders.
export { loadPretrained, savePretrained, copyTokenizerFiles, buildModel, ConfigError, type EncoderConfig, type Pretrained, type LoadPretrainedOptions, type SequenceClassifier } from './model';
export { DEFAULT_ENCODER, USE_LITE_ENCODER } from './model/default-encoder';

// Fine-tuning internals (the loop and the one-folder job finetuneModel wraps).
export { finetune, FINETUNE_DEFAULTS, type FinetuneOptions, type FinetuneResult, type EpochRecord } from './train/finetune';
export { finetuneToFolder, type FinetuneJob, type FinetuneRecord, type FinetuneSettings } from './train/run';
export { readTrainRecord, TRAIN_RECORD, type TrainRecord } from './train/record';

// Unlearning methods: the registry (built-ins registered on import) and the shared loop.
export {
  getMethod, listMethods, registerMethod, defaultHyperparameters, hyperparameterSpec, resolveHyperparameters, LOOP_HYPERPARAMETERS,
  runLossMethod, STOP_RULES, TARGET_RULES, type StopRule, type StopCheck, type StopTarget, type TargetRule, type RewindState,
  type UnlearningMethod, type LossMethod, type CustomMethod, type HyperParameter,
} from './methods';
// Per-request stopping targets: reference models on subject-disjoint partitions, class-matched held-out.
export {
  trainReferences, estimateTarget, readReferencesManifest, loadReferencesFor, partitionBySubject, REFERENCES_FILE,
  type ReferencesJob, type ReferencesManifest, type ReferencePartition, type TargetContext, type Partition,
} from './methods/target';

// Evaluation: metrics, membership inference, latent geometry, gaps; scoring a model folder.
export {
  evaluateModel, selectEvalSets, scoreSets, metricsFromScores, gapToReference, latentProjection, flattenMetrics, classificationReport,
  DEFAULT_RETAIN_SAMPLE, MIA_KEYS, LATENT_KEYS, EVAL_SETS,
  type ModelMetrics, type UnlearningMetrics, type GapMetrics, type MiaMetrics, type LatentMetrics, type SetMetrics, type EvaluationResult,
} from './eval';
export { loadScorable, hfScorable, detectModelKind, type Scorable, type LoadedScorable, type ModelKind, type ModelScores } from './eval/scorable';
// Per-example membership audits with reference models (RMIA, LiRA) and the relearning check.
export {
  liraOfflineScores, rmiaOfflineScores, tprAtFpr, attackSummary, logitScaledConfidence, trueClassLogProb, AUDIT_ATTACKS, RMIA_DEFAULTS,
  type AuditAttack, type AuditMetrics, type AuditSignal, type AttackSummary,
} from './eval/membership-audit';
export { prepareAudit, auditScorable, auditModel, scoreReferences, type PreparedAudit, type AuditSetup } from './eval/audit-run';
export { relearnCheck, DEFAULT_RELEARN_STEPS, type RelearnMetrics, type RelearnOptions } from './eval/relearn';

// Reports (self-contained HTML) and experiments (YAML grids).
export { writeReport, renderReport, evaluationReportInput, writeIndex, type ReportInput } from './report';
export { loadConfigFile, parseConfig, planExperiment, runExperiment, ConfigError as ExperimentConfigError, type ExperimentConfig, type ExperimentOutcome } from './experiment';

// The tensor engine, modules and safetensors.
export * from './engine';
export * from './nn';
export { readSafetensors, loadSafetensors, saveSafetensors, SafetensorsError } from './io/safetensors';
export { writeFileAtomic } from './io/atomic';
