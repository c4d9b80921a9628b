// The high-level library API: fine-tune, unlearn, evaluate, report and predict in a few lines
// (README: "Using deepcut as a library").
export { finetuneModel, evaluateUnlearning, trainReferenceModels, type TrainReferencesOptions, type FinetuneModelOptions, type EvaluateUnlearningOptions, type UnlearningEvaluation, type ForgetInput } from './workflow';
export { predictTexts, loadTextClassifier, readTextInputs, PREDICT_BATCH_SIZE, type TextPrediction, type TagPrediction, type TextClassifier, type PredictOptions, type TextInput } from './predict';
