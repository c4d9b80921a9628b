// Transformer encoders (BERT, RoBERTa, DistilBERT) with classification and
// masked-LM heads, and Hugging Face folders in and out.
export * from './types';
export { type EncoderConfig, type EncoderConfigInput, type ModelType, type Activation, ConfigError, parseHfConfig, encoderConfig, toHfConfig } from './config';
export { BertModel, BertEmbeddings, BertLayer, BertForSequenceClassification, BertForTokenClassification, BertForMaskedLM, BertLMPredictionHead } from './bert';
export { RobertaForSequenceClassification, RobertaForTokenClassification } from './roberta';
export { DistilBertModel, DistilBertEmbeddings, TransformerBlock, DistilBertForSequenceClassification, DistilBertForTokenClassification } from './distilbert';
export { robertaPositionIds, absolutePositionIds } from './positions';
export { initWeights } from './init';
export { buildModel, createModel, TASKS } from './factory';
export { freezeLowerLayers } from './freeze';
export { loadCheckpoint, type CheckpointReport } from './checkpoint';
export { loadPretrained, loadClassifier, savedConfig, savedTask, type ClassifierTask, savePretrained, copyTokenizerFiles, TOKENIZER_FILES, type LoadPretrainedOptions, type Pretrained, type SavePretrainedOptions } from './hf';
export { UseLiteModel, UseLiteEmbeddings, UseLiteLayer, UseLiteForSequenceClassification, UseLiteForTokenClassification, defaultInvTimescales } from './use-lite';
export { convertUseLite, findUseLitePackage, USE_LITE_PACKAGE, type ConvertUseLiteOptions, type ConvertUseLiteResult } from './convert/use-lite';
export { readTfjsWeights, type TfjsWeight } from './convert/tfjs-weights';
