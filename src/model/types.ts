// The architecture-agnostic faces of the models: what unlearning methods,
// training loops and the HF loader see, whichever encoder is inside.
import type { Tensor } from '../engine/tensor';
import type { Module } from '../nn/module';
import type { Linear } from '../nn/layers';
import type { EncoderConfig } from './config';
import type { LowerHidden } from './lower';

export interface EncoderBatch {
  /** int64 [B, T]. */
  inputIds: Tensor;
  /** int64 (or any numeric) [B, T]: 1 for real tokens, 0 for padding. Omitted: attend everywhere. */
  attentionMask?: Tensor;
  /** int64 [B, T] segment ids (BERT); zeros when omitted. Ignored by DistilBERT. */
  tokenTypeIds?: Tensor;
  /**
   * int64 [N]: flat indices into the B*T positions of the units a token classifier labels (each
   * word's first sub-word, in row order). With it a token classifier returns one row per unit
   * ([N, labels], [N, hidden]), so losses and metrics treat a tagged word like a classified text.
   */
  wordIndex?: Tensor;
  /**
   * The hidden state of these rows after the embeddings and the lowest layers, when a frozen
   * prefix's output was cached (./lower.ts): the encoder that made it starts above it.
   */
  lower?: LowerHidden;
}

export interface ForwardOptions {
  /** Also return every layer's hidden state: the embeddings output, then each layer's output. */
  outputHiddenStates?: boolean;
  /** Run the embeddings and only this many layers (lastHiddenState is that layer's output). */
  stopAfter?: number;
}

export interface EncoderOutput {
  /** [B, T, hidden]. */
  lastHiddenState: Tensor;
  /** numLayers + 1 tensors [B, T, hidden], when asked for. */
  hiddenStates?: Tensor[];
}

/** The transformer body of a model (BertModel, DistilBertModel). */
export interface Encoder extends Module {
  readonly config: EncoderConfig;
  forward(batch: EncoderBatch, options?: ForwardOptions): EncoderOutput;
  /** The token embeddings, then the transformer layers bottom-up (what freezeLowerLayers freezes). */
  stack(): { embeddings: Module; layers: readonly Module[] };
}

export type Task = 'sequence-classification' | 'token-classification' | 'masked-lm';

/** A parameter subtree that may be absent from a checkpoint and then starts freshly initialised. */
export interface OptionalPart {
  /** Human-readable name for load reports ('pooler', 'classification head'). */
  name: string;
  /** State-dict key prefixes of the part, e.g. ['bert.pooler.'] or ['pre_classifier.', 'classifier.']. */
  prefixes: string[];
  modules: Module[];
}

export interface PretrainedModel extends Module {
  readonly config: EncoderConfig;
  readonly task: Task;
  /** HF architecture name written to config.json, e.g. 'BertForSequenceClassification'. */
  readonly architecture: string;
  /** HF base_model_prefix: the state-dict prefix of the encoder ('bert', 'roberta', 'distilbert'). */
  readonly basePrefix: string;
  readonly encoder: Encoder;
  /** Parts a checkpoint may lack (pooler, task head). */
  optionalParts(): OptionalPart[];
  /** Checkpoint keys that duplicate a tied parameter and are skipped on load (MLM decoder). */
  tiedKeys(): string[];
}

export interface SequenceClassifierOutput {
  /** [B, numLabels]. */
  logits: Tensor;
  /**
   * [B, hidden]: the representation the final classifier layer reads. BERT: pooler output
   * tanh(pooler.dense(h[:, 0])); RoBERTa: tanh(classifier.dense(h[:, 0])); DistilBERT:
   * relu(pre_classifier(h[:, 0])). In eval mode no dropout is involved (in train mode RoBERTa's
   * includes the dropout HF applies before classifier.dense).
   */
  pooled: Tensor;
  /** [B, hidden]: the last layer's hidden state at position 0 ([CLS] / <s>). */
  cls: Tensor;
  lastHiddenState: Tensor;
  hiddenStates?: Tensor[];
}

export interface SequenceClassifier extends PretrainedModel {
  readonly task: 'sequence-classification';
  readonly numLabels: number;
  forward(batch: EncoderBatch, options?: ForwardOptions): SequenceClassifierOutput;
  /** The final linear layer, which reads `pooled` (linear probing fits it on frozen features). */
  readonly outputLayer: Linear;
}

export interface TokenClassifierOutput {
  /** [B, T, numLabels]; [N, numLabels] with batch.wordIndex. */
  logits: Tensor;
  /** The vectors the classifier reads (the last hidden state): [B, T, hidden]; [N, hidden] with batch.wordIndex. */
  pooled: Tensor;
  lastHiddenState: Tensor;
  hiddenStates?: Tensor[];
}

export interface TokenClassifier extends PretrainedModel {
  readonly task: 'token-classification';
  readonly numLabels: number;
  forward(batch: EncoderBatch, options?: ForwardOptions): TokenClassifierOutput;
  /** The final linear layer, which reads `pooled`. */
  readonly outputLayer: Linear;
}

export interface MaskedLMOptions extends ForwardOptions {
  /**
   * int64 [N] flat indices into the B*T positions: compute vocabulary logits only there
   * (the masked tokens), giving logits [N, vocab] instead of [B, T, vocab].
   */
  positions?: Tensor;
}

export interface MaskedLMOutput {
  /** [B, T, vocab], or [N, vocab] with options.positions. */
  logits: Tensor;
  lastHiddenState: Tensor;
  hiddenStates?: Tensor[];
}

export interface MaskedLanguageModel extends PretrainedModel {
  readonly task: 'masked-lm';
  forward(batch: EncoderBatch, options?: MaskedLMOptions): MaskedLMOutput;
}

export interface TaskModels {
  'sequence-classification': SequenceClassifier;
  'token-classification': TokenClassifier;
  'masked-lm': MaskedLanguageModel;
}

export type AnyTaskModel = TaskModels[Task];

/**
 * A model that labels units: a text (sequence classifier) or, given batch.wordIndex, each word of
 * a tagged sentence (token classifier). Both return [units, labels] logits and the [units, hidden]
 * vectors their classifier reads, so fine-tuning, unlearning losses and scoring handle either.
 */
export type UnitClassifier = SequenceClassifier | TokenClassifier;
