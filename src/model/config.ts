// Model configuration: one normalised shape for BERT, RoBERTa, DistilBERT and USE-Lite,
// parsed from (and written back to) Hugging Face's config.json key names.
import { z } from 'zod';

export type ModelType = 'bert' | 'roberta' | 'distilbert' | 'use-lite';
/** HF activation names we implement: 'gelu' is the exact erf form; 'gelu_new'/'gelu_pytorch_tanh' the tanh one. */
export type Activation = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface EncoderConfig {
  modelType: ModelType;
  vocabSize: number;
  /** Width of the token embeddings when it differs from hiddenSize (USE-Lite: 256 into a 512-wide stack). */
  embeddingSize?: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  hiddenAct: Activation;
  maxPositionEmbeddings: number;
  /** 0 for DistilBERT (no token types). */
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
  /** Dropout on embeddings and sublayer outputs (BERT hidden_dropout_prob, DistilBERT dropout). */
  hiddenDropout: number;
  /** Dropout on attention probabilities. */
  attentionDropout: number;
  /** Dropout before the classifier (BERT/RoBERTa classifier_dropout ?? hidden, DistilBERT seq_classif_dropout). */
  classifierDropout: number;
  initializerRange: number;
  /** id2label in id order; its length is the number of labels. */
  labels: string[];
  /**
   * USE-Lite only: attention and the timing signal restart every this many pieces (chunk-and-pool:
   * each chunk is encoded as its own text, the sentence vector pools every piece of every chunk).
   * Absent: one window over the whole input (config.json `attention_chunk`).
   */
  attentionChunk?: number;
  /** The config.json keys this type does not model, written back unchanged on save. */
  extra: JsonObject;
}

/** What createModel needs: the shape of the network; everything else has HF's defaults. */
export type EncoderConfigInput = Pick<EncoderConfig, 'vocabSize' | 'hiddenSize' | 'numLayers' | 'numHeads' | 'intermediateSize'> &
  Partial<EncoderConfig>;

export class ConfigError extends Error {
  constructor(readonly file: string, readonly field: string, detail: string) {
    super(`${file}: invalid config field "${field}": ${detail}`);
    this.name = 'ConfigError';
  }
}

const positiveInt = z.number().int().positive();
const probability = z.number().min(0).lt(1);
const activation = z.enum(['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu']);
const labelsById = z.record(z.string().regex(/^\d+$/, 'id2label keys must be integers'), z.string());

// HF writes every architecture attribute, so the shape fields are required; the rest default as in HF.
const bertSchema = z.object({
  model_type: z.enum(['bert', 'roberta']),
  vocab_size: positiveInt,
  hidden_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  intermediate_size: positiveInt,
  hidden_act: activation.default('gelu'),
  max_position_embeddings: positiveInt.default(512),
  type_vocab_size: positiveInt.default(2),
  layer_norm_eps: z.number().positive().default(1e-12),
  pad_token_id: z.number().int().nonnegative().nullable().optional(),
  hidden_dropout_prob: probability.default(0.1),
  attention_probs_dropout_prob: probability.default(0.1),
  classifier_dropout: probability.nullable().default(null),
  initializer_range: z.number().positive().default(0.02),
  position_embedding_type: z.literal('absolute', { errorMap: () => ({ message: 'only "absolute" position embeddings are implemented' }) }).default('absolute'),
  is_decoder: z.literal(false, { errorMap: () => ({ message: 'decoder (causal) BERT is not implemented' }) }).optional(),
  id2label: labelsById.optional(),
  num_labels: positiveInt.optional(),
});

const distilbertSchema = z.object({
  model_type: z.literal('distilbert'),
  vocab_size: positiveInt,
  dim: positiveInt,
  n_layers: positiveInt,
  n_heads: positiveInt,
  hidden_dim: positiveInt,
  activation: activation.default('gelu'),
  max_position_embeddings: positiveInt.default(512),
  pad_token_id: z.number().int().nonnegative().nullable().optional(),
  dropout: probability.default(0.1),
  attention_dropout: probability.default(0.1),
  seq_classif_dropout: probability.default(0.2),
  initializer_range: z.number().positive().default(0.02),
  id2label: labelsById.optional(),
  num_labels: positiveInt.optional(),
});

// deepcut's own type for Google's Universal Sentence Encoder Lite (src/model/use-lite.ts):
// sinusoidal positions, so max_position_embeddings is a window limit, not a table size.
const useLiteSchema = z.object({
  model_type: z.literal('use-lite'),
  vocab_size: positiveInt,
  embedding_size: positiveInt,
  hidden_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  intermediate_size: positiveInt,
  hidden_act: activation.default('relu'),
  max_position_embeddings: positiveInt.default(2048),
  attention_chunk: positiveInt.optional(),
  layer_norm_eps: z.number().positive().default(1e-6),
  pad_token_id: z.number().int().nonnegative().nullable().optional(),
  hidden_dropout_prob: probability.default(0.1),
  attention_probs_dropout_prob: probability.default(0.1),
  classifier_dropout: probability.nullable().default(null),
  initializer_range: z.number().positive().default(0.02),
  id2label: labelsById.optional(),
  num_labels: positiveInt.optional(),
});

const KNOWN_KEYS = new Set([...Object.keys(bertSchema.shape), ...Object.keys(distilbertSchema.shape), ...Object.keys(useLiteSchema.shape), 'label2id', 'architectures', 'torch_dtype', 'layer_norm_eps', 'type_vocab_size']);

function labelList(file: string, id2label: Record<string, string> | undefined, numLabels: number | undefined): string[] {
  if (id2label) {
    const ids = Object.keys(id2label).map(Number).sort((a, b) => a - b);
    if (ids.some((id, i) => id !== i)) throw new ConfigError(file, 'id2label', `ids must be 0..n-1, got ${ids.join(', ')}`);
    if (numLabels !== undefined && numLabels !== ids.length) throw new ConfigError(file, 'num_labels', `${numLabels} disagrees with id2label (${ids.length} labels)`);
    return ids.map((id) => id2label[String(id)]!);
  }
  return Array.from({ length: numLabels ?? 2 }, (_, i) => `LABEL_${i}`); // HF's default: 2 labels
}

/** Validates a parsed config.json; `file` names the source in every error. */
export function parseHfConfig(json: unknown, file = 'config.json'): EncoderConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(file, '(root)', 'expected a JSON object');
  const raw = json as JsonObject;
  const modelType = raw.model_type;
  if (modelType !== 'bert' && modelType !== 'roberta' && modelType !== 'distilbert' && modelType !== 'use-lite') {
    throw new ConfigError(file, 'model_type', `${JSON.stringify(modelType)} is not supported (supported: "bert", "roberta", "distilbert", "use-lite")`);
  }
  // The other schemas do not read attention_chunk: refuse it here rather than drop it.
  if (raw.attention_chunk !== undefined) checkChunkOwner(modelType, file);
  const schema = modelType === 'distilbert' ? distilbertSchema : modelType === 'use-lite' ? useLiteSchema : bertSchema;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(root)';
    throw new ConfigError(file, field, `${issue.message} (got ${JSON.stringify(raw[String(issue.path[0])])})`);
  }
  const extra: JsonObject = {};
  for (const [k, v] of Object.entries(raw)) if (!KNOWN_KEYS.has(k)) extra[k] = v;
  let config: EncoderConfig;
  if (parsed.data.model_type === 'use-lite') {
    const c = parsed.data as z.infer<typeof useLiteSchema>;
    config = {
      modelType: 'use-lite', vocabSize: c.vocab_size, embeddingSize: c.embedding_size, hiddenSize: c.hidden_size,
      numLayers: c.num_hidden_layers, numHeads: c.num_attention_heads, intermediateSize: c.intermediate_size,
      hiddenAct: c.hidden_act, maxPositionEmbeddings: c.max_position_embeddings, typeVocabSize: 0, layerNormEps: c.layer_norm_eps,
      padTokenId: c.pad_token_id ?? 0, hiddenDropout: c.hidden_dropout_prob, attentionDropout: c.attention_probs_dropout_prob,
      classifierDropout: c.classifier_dropout ?? c.hidden_dropout_prob, initializerRange: c.initializer_range,
      labels: labelList(file, c.id2label, c.num_labels), extra,
      ...(c.attention_chunk !== undefined ? { attentionChunk: c.attention_chunk } : {}),
    };
  } else if (parsed.data.model_type === 'distilbert') {
    const c = parsed.data as z.infer<typeof distilbertSchema>;
    config = {
      modelType: 'distilbert', vocabSize: c.vocab_size, hiddenSize: c.dim, numLayers: c.n_layers, numHeads: c.n_heads,
      intermediateSize: c.hidden_dim, hiddenAct: c.activation, maxPositionEmbeddings: c.max_position_embeddings,
      typeVocabSize: 0, layerNormEps: 1e-12, padTokenId: c.pad_token_id ?? 0, hiddenDropout: c.dropout,
      attentionDropout: c.attention_dropout, classifierDropout: c.seq_classif_dropout, initializerRange: c.initializer_range,
      labels: labelList(file, c.id2label, c.num_labels), extra,
    };
  } else {
    const c = parsed.data as z.infer<typeof bertSchema>;
    config = {
      modelType: c.model_type, vocabSize: c.vocab_size, hiddenSize: c.hidden_size, numLayers: c.num_hidden_layers,
      numHeads: c.num_attention_heads, intermediateSize: c.intermediate_size, hiddenAct: c.hidden_act,
      maxPositionEmbeddings: c.max_position_embeddings, typeVocabSize: c.type_vocab_size, layerNormEps: c.layer_norm_eps,
      padTokenId: c.pad_token_id ?? (c.model_type === 'roberta' ? 1 : 0), hiddenDropout: c.hidden_dropout_prob,
      attentionDropout: c.attention_probs_dropout_prob, classifierDropout: c.classifier_dropout ?? c.hidden_dropout_prob,
      initializerRange: c.initializer_range, labels: labelList(file, c.id2label, c.num_labels), extra,
    };
  }
  checkConsistency(config, file);
  return config;
}

function checkChunkOwner(modelType: ModelType, file: string): void {
  if (modelType !== 'use-lite') throw new ConfigError(file, 'attention_chunk', `only use-lite models restart attention in chunks (model_type ${modelType})`);
}

function checkConsistency(c: EncoderConfig, file: string): void {
  const names = c.modelType === 'distilbert'
    ? { hidden: 'dim', heads: 'n_heads' }
    : { hidden: 'hidden_size', heads: 'num_attention_heads' };
  if (c.modelType === 'use-lite' && (c.embeddingSize ?? c.hiddenSize) % c.numHeads !== 0) {
    throw new ConfigError(file, 'num_attention_heads', `embedding_size ${c.embeddingSize} is not divisible by ${c.numHeads} heads`);
  }
  if (c.attentionChunk !== undefined) checkChunkOwner(c.modelType, file);
  if (c.hiddenSize % c.numHeads !== 0) throw new ConfigError(file, names.heads, `${names.hidden} ${c.hiddenSize} is not divisible by ${c.numHeads} heads`);
  if (c.padTokenId >= c.vocabSize) throw new ConfigError(file, 'pad_token_id', `${c.padTokenId} is outside the vocabulary (vocab_size ${c.vocabSize})`);
  if (c.modelType === 'roberta' && c.maxPositionEmbeddings <= c.padTokenId + 1) {
    throw new ConfigError(file, 'max_position_embeddings', `RoBERTa positions start at pad_token_id + 1 = ${c.padTokenId + 1}`);
  }
  if (c.labels.length === 0) throw new ConfigError(file, 'id2label', 'at least one label is needed');
}

/** Fills HF's defaults (BERT's, or RoBERTa's/DistilBERT's where they differ) around the network shape. */
export function encoderConfig(input: EncoderConfigInput): EncoderConfig {
  const modelType = input.modelType ?? 'bert';
  const isRoberta = modelType === 'roberta';
  const isUseLite = modelType === 'use-lite';
  const config: EncoderConfig = {
    modelType,
    hiddenAct: isUseLite ? 'relu' : 'gelu',
    maxPositionEmbeddings: isRoberta ? 514 : isUseLite ? 2048 : 512,
    typeVocabSize: modelType === 'distilbert' || isUseLite ? 0 : isRoberta ? 1 : 2,
    layerNormEps: modelType === 'roberta' ? 1e-5 : isUseLite ? 1e-6 : 1e-12,
    padTokenId: isRoberta ? 1 : 0,
    hiddenDropout: 0.1,
    attentionDropout: 0.1,
    classifierDropout: modelType === 'distilbert' ? 0.2 : input.hiddenDropout ?? 0.1,
    initializerRange: 0.02,
    labels: ['LABEL_0', 'LABEL_1'],
    ...input,
    extra: input.extra ?? {},
  };
  checkConsistency(config, '(encoderConfig)');
  return config;
}

/** The config.json HF would write for this model (keys sorted, as HF does). */
export function toHfConfig(c: EncoderConfig, architecture: string): JsonObject {
  const id2label: JsonObject = {};
  const label2id: JsonObject = {};
  c.labels.forEach((label, id) => {
    id2label[String(id)] = label;
    label2id[label] = id;
  });
  const own: JsonObject = c.modelType === 'use-lite'
    ? {
        model_type: 'use-lite', vocab_size: c.vocabSize, embedding_size: c.embeddingSize ?? c.hiddenSize, hidden_size: c.hiddenSize,
        num_hidden_layers: c.numLayers, num_attention_heads: c.numHeads, intermediate_size: c.intermediateSize, hidden_act: c.hiddenAct,
        max_position_embeddings: c.maxPositionEmbeddings, layer_norm_eps: c.layerNormEps, pad_token_id: c.padTokenId,
        hidden_dropout_prob: c.hiddenDropout, attention_probs_dropout_prob: c.attentionDropout,
        classifier_dropout: c.classifierDropout === c.hiddenDropout ? null : c.classifierDropout, initializer_range: c.initializerRange,
        ...(c.attentionChunk !== undefined ? { attention_chunk: c.attentionChunk } : {}),
      }
    : c.modelType === 'distilbert'
    ? {
        model_type: 'distilbert', vocab_size: c.vocabSize, dim: c.hiddenSize, n_layers: c.numLayers, n_heads: c.numHeads,
        hidden_dim: c.intermediateSize, activation: c.hiddenAct, max_position_embeddings: c.maxPositionEmbeddings,
        pad_token_id: c.padTokenId, dropout: c.hiddenDropout, attention_dropout: c.attentionDropout,
        seq_classif_dropout: c.classifierDropout, initializer_range: c.initializerRange,
      }
    : {
        model_type: c.modelType, vocab_size: c.vocabSize, hidden_size: c.hiddenSize, num_hidden_layers: c.numLayers,
        num_attention_heads: c.numHeads, intermediate_size: c.intermediateSize, hidden_act: c.hiddenAct,
        max_position_embeddings: c.maxPositionEmbeddings, type_vocab_size: c.typeVocabSize, layer_norm_eps: c.layerNormEps,
        pad_token_id: c.padTokenId, hidden_dropout_prob: c.hiddenDropout, attention_probs_dropout_prob: c.attentionDropout,
        classifier_dropout: c.classifierDropout === c.hiddenDropout ? null : c.classifierDropout,
        initializer_range: c.initializerRange, position_embedding_type: 'absolute',
      };
  const all: JsonObject = { ...c.extra, ...own, architectures: [architecture], id2label, label2id, torch_dtype: 'float32' };
  return Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]!]));
}
