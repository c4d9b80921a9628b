// DistilBERT, following HF's modeling_distilbert.py names: `distilbert.embeddings.*`,
// `distilbert.transformer.layer.N.attention.{q,k,v,out}_lin`, `sa_layer_norm`,
// `ffn.lin1/lin2`, `output_layer_norm`; heads `pre_classifier` + `classifier`.
// Differences from BERT: no token types, LayerNorm eps 1e-12 fixed, q scaled before
// q @ k^T, padding keys masked_fill'ed (not added), no dropout after out_lin.
import type { Tensor } from '../engine/tensor';
import { scope } from '../engine/scope';
import { Module, ModuleList } from '../nn/module';
import { Linear, Embedding, LayerNorm } from '../nn/layers';
import type { EncoderConfig } from './config';
import { group } from './group';
import { splitHeads, mergeHeads, paddingKeys, MASKED_SCORE } from './attention';
import { activate, dropout } from './activation';
import { absolutePositionIds, selectUnits } from './positions';
import { checkBatch } from './inputs';
import { forwardStart, layersToRun } from './lower';
import type {
  Encoder, EncoderBatch, EncoderOutput, ForwardOptions, OptionalPart, SequenceClassifier, SequenceClassifierOutput,
  TokenClassifier, TokenClassifierOutput,
} from './types';

export class DistilBertEmbeddings extends Module {
  readonly word_embeddings: Embedding;
  readonly position_embeddings: Embedding;
  readonly LayerNorm: LayerNorm;

  constructor(readonly config: EncoderConfig) {
    super();
    this.word_embeddings = this.child('word_embeddings', new Embedding(config.vocabSize, config.hiddenSize, config.padTokenId));
    this.position_embeddings = this.child('position_embeddings', new Embedding(config.maxPositionEmbeddings, config.hiddenSize));
    this.LayerNorm = this.child('LayerNorm', new LayerNorm(config.hiddenSize, 1e-12));
  }

  forward(inputIds: Tensor): Tensor {
    const x = this.word_embeddings.forward(inputIds).add(this.position_embeddings.forward(absolutePositionIds(inputIds.size(1), inputIds.device)));
    return dropout(this.LayerNorm.forward(x), this.config.hiddenDropout, this.training);
  }
}

export class TransformerBlock extends Module {
  readonly attention;
  readonly sa_layer_norm: LayerNorm;
  readonly ffn;
  readonly output_layer_norm: LayerNorm;

  constructor(readonly config: EncoderConfig) {
    super();
    const { hiddenSize: h, intermediateSize: ffn } = config;
    this.attention = this.child('attention', group({ q_lin: new Linear(h, h), k_lin: new Linear(h, h), v_lin: new Linear(h, h), out_lin: new Linear(h, h) }));
    this.sa_layer_norm = this.child('sa_layer_norm', new LayerNorm(h, 1e-12));
    this.ffn = this.child('ffn', group({ lin1: new Linear(h, ffn), lin2: new Linear(ffn, h) }));
    this.output_layer_norm = this.child('output_layer_norm', new LayerNorm(h, 1e-12));
  }

  /** x [B, T, dim]; padding [B, 1, 1, T] true at padded keys, or undefined. */
  forward(x: Tensor, padding: Tensor | undefined): Tensor {
    const { numHeads, hiddenSize, hiddenDropout, attentionDropout, hiddenAct } = this.config;
    const { q_lin, k_lin, v_lin, out_lin } = this.attention;
    const q = splitHeads(q_lin.forward(x).mul(1 / Math.sqrt(hiddenSize / numHeads)), numHeads); // [B, H, T, D]
    const k = splitHeads(k_lin.forward(x), numHeads);
    const v = splitHeads(v_lin.forward(x), numHeads);
    let scores = q.matmul(k.transpose(-1, -2)); // [B, H, T, T]
    if (padding) scores = scores.maskedFill(padding, MASKED_SCORE);
    const probs = dropout(scores.softmax(-1), attentionDropout, this.training);
    const sa = this.sa_layer_norm.forward(out_lin.forward(mergeHeads(probs.matmul(v))).add(x));
    const f = this.ffn.lin2.forward(activate(this.ffn.lin1.forward(sa), hiddenAct));
    return this.output_layer_norm.forward(dropout(f, hiddenDropout, this.training).add(sa));
  }
}

export class DistilBertModel extends Module implements Encoder {
  readonly embeddings: DistilBertEmbeddings;
  readonly transformer;

  constructor(readonly config: EncoderConfig) {
    super();
    this.embeddings = this.child('embeddings', new DistilBertEmbeddings(config));
    const layers = Array.from({ length: config.numLayers }, () => new TransformerBlock(config));
    this.transformer = this.child('transformer', group({ layer: new ModuleList(layers) }));
  }

  /** tokenTypeIds are ignored: DistilBERT has no segment embeddings. */
  stack(): { embeddings: Module; layers: readonly Module[] } {
    return { embeddings: this.embeddings, layers: [...this.transformer.layer] };
  }

  forward(batch: EncoderBatch, options: ForwardOptions = {}): EncoderOutput {
    checkBatch(batch, this.config);
    const padding = batch.attentionMask && paddingKeys(batch.attentionMask);
    const start = forwardStart(this, batch, options, () => this.embeddings.forward(batch.inputIds));
    let h = start.hidden;
    const hiddenStates = options.outputHiddenStates ? [h] : undefined;
    for (const layer of layersToRun([...this.transformer.layer], start.first, options)) {
      const input = h;
      h = scope(() => layer.forward(input, padding));
      hiddenStates?.push(h);
    }
    return { lastHiddenState: h, hiddenStates };
  }
}

/** logits = classifier(dropout(relu(pre_classifier(h[:, 0])))). */
export class DistilBertForSequenceClassification extends Module implements SequenceClassifier {
  readonly task = 'sequence-classification' as const;
  readonly architecture = 'DistilBertForSequenceClassification';
  readonly basePrefix = 'distilbert';
  readonly distilbert: DistilBertModel;
  readonly pre_classifier: Linear;
  readonly classifier: Linear;

  constructor(readonly config: EncoderConfig) {
    super();
    this.distilbert = this.child('distilbert', new DistilBertModel(config));
    this.pre_classifier = this.child('pre_classifier', new Linear(config.hiddenSize, config.hiddenSize));
    this.classifier = this.child('classifier', new Linear(config.hiddenSize, config.labels.length));
  }

  get encoder(): DistilBertModel { return this.distilbert; }
  get outputLayer(): Linear { return this.classifier; }
  get numLabels(): number { return this.config.labels.length; }

  forward(batch: EncoderBatch, options: ForwardOptions = {}): SequenceClassifierOutput {
    const { lastHiddenState, hiddenStates } = this.distilbert.forward(batch, options);
    const cls = lastHiddenState.select(1, 0);
    const pooled = this.pre_classifier.forward(cls).relu();
    const logits = this.classifier.forward(dropout(pooled, this.config.classifierDropout, this.training));
    return { logits, pooled, cls, lastHiddenState, hiddenStates };
  }

  optionalParts(): OptionalPart[] {
    return [{ name: 'classification head', prefixes: ['pre_classifier.', 'classifier.'], modules: [this.pre_classifier, this.classifier] }];
  }
  tiedKeys(): string[] { return []; }
}

/** DistilBertForTokenClassification: classifier(dropout(h)) on every token. */
export class DistilBertForTokenClassification extends Module implements TokenClassifier {
  readonly task = 'token-classification' as const;
  readonly architecture = 'DistilBertForTokenClassification';
  readonly basePrefix = 'distilbert';
  readonly distilbert: DistilBertModel;
  readonly classifier: Linear;

  constructor(readonly config: EncoderConfig) {
    super();
    this.distilbert = this.child('distilbert', new DistilBertModel(config));
    this.classifier = this.child('classifier', new Linear(config.hiddenSize, config.labels.length));
  }

  get encoder(): DistilBertModel { return this.distilbert; }
  get outputLayer(): Linear { return this.classifier; }
  get numLabels(): number { return this.config.labels.length; }

  forward(batch: EncoderBatch, options: ForwardOptions = {}): TokenClassifierOutput {
    const { lastHiddenState, hiddenStates } = this.distilbert.forward(batch, options);
    const pooled = selectUnits(lastHiddenState, batch.wordIndex);
    const logits = this.classifier.forward(dropout(pooled, this.config.hiddenDropout, this.training));
    return { logits, pooled, lastHiddenState, hiddenStates };
  }

  optionalParts(): OptionalPart[] { return [{ name: 'token classification head', prefixes: ['classifier.'], modules: [this.classifier] }]; }
  tiedKeys(): string[] { return []; }
}
