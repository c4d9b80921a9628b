// BERT (and the RoBERTa encoder, which differs only in its position ids and
// has a single token type). Module tree and parameter names follow Hugging
// Face's modeling_bert.py, so `bert.encoder.layer.0.attention.self.query.weight`
// is that exact path here.
import type { Tensor } from '../engine/tensor';
import { scope } from '../engine/scope';
import { zeros } from '../engine/create';
import { noGrad } from '../engine/runtime';
import * as F from '../engine/functional';
import { Module, ModuleList } from '../nn/module';
import { Linear, Embedding, LayerNorm } from '../nn/layers';
import type { EncoderConfig } from './config';
import { group } from './group';
import { splitHeads, mergeHeads, additiveMask } from './attention';
import { activate, dropout } from './activation';
import { absolutePositionIds, robertaPositionIds, selectUnits } from './positions';
import { checkBatch } from './inputs';
import { forwardStart, layersToRun } from './lower';
import type {
  Encoder, EncoderBatch, EncoderOutput, ForwardOptions, OptionalPart, SequenceClassifier, SequenceClassifierOutput,
  TokenClassifier, TokenClassifierOutput, MaskedLanguageModel, MaskedLMOptions, MaskedLMOutput,
} from './types';

export class BertEmbeddings extends Module {
  readonly word_embeddings: Embedding;
  readonly position_embeddings: Embedding;
  readonly token_type_embeddings: Embedding;
  readonly LayerNorm: LayerNorm;

  constructor(readonly config: EncoderConfig) {
    super();
    const c = config;
    const isRoberta = c.modelType === 'roberta';
    this.word_embeddings = this.child('word_embeddings', new Embedding(c.vocabSize, c.hiddenSize, c.padTokenId));
    this.position_embeddings = this.child('position_embeddings', new Embedding(c.maxPositionEmbeddings, c.hiddenSize, isRoberta ? c.padTokenId : undefined));
    this.token_type_embeddings = this.child('token_type_embeddings', new Embedding(c.typeVocabSize, c.hiddenSize));
    this.LayerNorm = this.child('LayerNorm', new LayerNorm(c.hiddenSize, c.layerNormEps));
  }

  forward(inputIds: Tensor, tokenTypeIds?: Tensor): Tensor {
    const c = this.config;
    const positionIds = c.modelType === 'roberta' ? robertaPositionIds(inputIds, c.padTokenId) : absolutePositionIds(inputIds.size(1), inputIds.device);
    // No token types given: every token is type 0, i.e. row 0 broadcast (no [B, T] lookup needed).
    const tokenTypes = tokenTypeIds ? this.token_type_embeddings.forward(tokenTypeIds) : this.token_type_embeddings.weight.select(0, 0);
    const x = this.word_embeddings.forward(inputIds).add(tokenTypes).add(this.position_embeddings.forward(positionIds));
    return dropout(this.LayerNorm.forward(x), c.hiddenDropout, this.training);
  }
}

export class BertLayer extends Module {
  readonly attention;
  readonly intermediate;
  readonly output;

  constructor(readonly config: EncoderConfig) {
    super();
    const { hiddenSize: h, intermediateSize: ffn, layerNormEps: eps } = config;
    this.attention = this.child('attention', group({
      self: group({ query: new Linear(h, h), key: new Linear(h, h), value: new Linear(h, h) }),
      output: group({ dense: new Linear(h, h), LayerNorm: new LayerNorm(h, eps) }),
    }));
    this.intermediate = this.child('intermediate', group({ dense: new Linear(h, ffn) }));
    this.output = this.child('output', group({ dense: new Linear(ffn, h), LayerNorm: new LayerNorm(h, eps) }));
  }

  /** x [B, T, hidden]; mask [B, 1, 1, T] additive (0 or float32.min), or undefined for no padding. */
  forward(x: Tensor, mask: Tensor | undefined): Tensor {
    const { numHeads, hiddenSize, hiddenDropout, attentionDropout, hiddenAct } = this.config;
    const { self: qkv, output: attnOut } = this.attention;
    // Scaling q (not the [T, T] scores) by 1/sqrt(d) is the same product, on fewer elements.
    const q = splitHeads(qkv.query.forward(x).mul(1 / Math.sqrt(hiddenSize / numHeads)), numHeads); // [B, H, T, D]
    const k = splitHeads(qkv.key.forward(x), numHeads);
    const v = splitHeads(qkv.value.forward(x), numHeads);
    let scores = q.matmul(k.transpose(-1, -2)); // [B, H, T, T]
    if (mask) scores = scores.add(mask);
    const probs = dropout(scores.softmax(-1), attentionDropout, this.training);
    const context = mergeHeads(probs.matmul(v)); // [B, T, hidden]
    const a = attnOut.LayerNorm.forward(dropout(attnOut.dense.forward(context), hiddenDropout, this.training).add(x));
    const f = this.output.dense.forward(activate(this.intermediate.dense.forward(a), hiddenAct));
    return this.output.LayerNorm.forward(dropout(f, hiddenDropout, this.training).add(a));
  }
}

/** BertModel / RobertaModel: embeddings, the layer stack and (optionally) the pooler. */
export class BertModel extends Module implements Encoder {
  readonly embeddings: BertEmbeddings;
  readonly encoder;
  readonly pooler;

  constructor(readonly config: EncoderConfig, options: { pooler: boolean }) {
    super();
    this.embeddings = this.child('embeddings', new BertEmbeddings(config));
    const layers = Array.from({ length: config.numLayers }, () => new BertLayer(config));
    this.encoder = this.child('encoder', group({ layer: new ModuleList(layers) }));
    this.pooler = options.pooler ? this.child('pooler', group({ dense: new Linear(config.hiddenSize, config.hiddenSize) })) : undefined;
  }

  stack(): { embeddings: Module; layers: readonly Module[] } {
    return { embeddings: this.embeddings, layers: [...this.encoder.layer] };
  }

  forward(batch: EncoderBatch, options: ForwardOptions = {}): EncoderOutput {
    checkBatch(batch, this.config);
    const mask = batch.attentionMask && additiveMask(batch.attentionMask);
    const start = forwardStart(this, batch, options, () => this.embeddings.forward(batch.inputIds, batch.tokenTypeIds));
    let h = start.hidden;
    const hiddenStates = options.outputHiddenStates ? [h] : undefined;
    for (const layer of layersToRun([...this.encoder.layer], start.first, options)) {
      const input = h;
      h = scope(() => layer.forward(input, mask)); // frees the layer's intermediates early; autograd keeps what it needs
      hiddenStates?.push(h);
    }
    return { lastHiddenState: h, hiddenStates };
  }

  /** BERT's pooler: tanh(dense(h[:, 0])). */
  pool(cls: Tensor): Tensor {
    if (!this.pooler) throw new Error('this encoder was built without a pooler');
    return this.pooler.dense.forward(cls).tanh();
  }
}

const basePrefixOf = (config: EncoderConfig): 'bert' | 'roberta' => (config.modelType === 'roberta' ? 'roberta' : 'bert');
const archPrefixOf = (config: EncoderConfig): string => (config.modelType === 'roberta' ? 'Roberta' : 'Bert');

/** BertForSequenceClassification: logits = classifier(dropout(pooler(h[:, 0]))). */
export class BertForSequenceClassification extends Module implements SequenceClassifier {
  readonly task = 'sequence-classification' as const;
  readonly architecture = 'BertForSequenceClassification';
  readonly basePrefix = 'bert';
  readonly bert: BertModel;
  readonly classifier: Linear;

  constructor(readonly config: EncoderConfig) {
    super();
    this.bert = this.child('bert', new BertModel(config, { pooler: true }));
    this.classifier = this.child('classifier', new Linear(config.hiddenSize, config.labels.length));
  }

  get encoder(): BertModel { return this.bert; }
  get outputLayer(): Linear { return this.classifier; }
  get numLabels(): number { return this.config.labels.length; }

  forward(batch: EncoderBatch, options: ForwardOptions = {}): SequenceClassifierOutput {
    const { lastHiddenState, hiddenStates } = this.bert.forward(batch, options);
    const cls = lastHiddenState.select(1, 0);
    const pooled = this.bert.pool(cls);
    const logits = this.classifier.forward(dropout(pooled, this.config.classifierDropout, this.training));
    return { logits, pooled, cls, lastHiddenState, hiddenStates };
  }

  optionalParts(): OptionalPart[] {
    return [
      { name: 'pooler', prefixes: ['bert.pooler.'], modules: [this.bert.pooler!] },
      { name: 'classification head', prefixes: ['classifier.'], modules: [this.classifier] },
    ];
  }
  tiedKeys(): string[] { return []; }
}

/** Bert/RobertaForTokenClassification: classifier(dropout(h)) on every token; no pooler. */
export class BertForTokenClassification extends Module implements TokenClassifier {
  readonly task = 'token-classification' as const;
  readonly architecture: string;
  readonly basePrefix: 'bert' | 'roberta';
  readonly base: BertModel;
  readonly classifier: Linear;

  constructor(readonly config: EncoderConfig) {
    super();
    this.basePrefix = basePrefixOf(config);
    this.architecture = `${archPrefixOf(config)}ForTokenClassification`;
    this.base = this.child(this.basePrefix, new BertModel(config, { pooler: false }));
    this.classifier = this.child('classifier', new Linear(config.hiddenSize, config.labels.length));
  }

  get encoder(): BertModel { return this.base; }
  get outputLayer(): Linear { return this.classifier; }
  get numLabels(): number { return this.config.labels.length; }

  forward(batch: EncoderBatch, options: ForwardOptions = {}): TokenClassifierOutput {
    const { lastHiddenState, hiddenStates } = this.base.forward(batch, options);
    const pooled = selectUnits(lastHiddenState, batch.wordIndex);
    const logits = this.classifier.forward(dropout(pooled, this.config.classifierDropout, this.training));
    return { logits, pooled, lastHiddenState, hiddenStates };
  }

  optionalParts(): OptionalPart[] { return [{ name: 'token classification head', prefixes: ['classifier.'], modules: [this.classifier] }]; }
  tiedKeys(): string[] { return []; }
}

/** cls.predictions: dense -> act -> LayerNorm -> decoder (weight tied to the word embeddings) + bias. */
export class BertLMPredictionHead extends Module {
  readonly transform;
  readonly bias: Tensor;

  constructor(readonly config: EncoderConfig, readonly decoderWeight: Tensor) {
    super();
    const h = config.hiddenSize;
    this.transform = this.child('transform', group({ dense: new Linear(h, h), LayerNorm: new LayerNorm(h, config.layerNormEps) }));
    this.bias = this.param('bias', zeros([config.vocabSize]));
  }

  forward(h: Tensor): Tensor {
    const t = this.transform.LayerNorm.forward(activate(this.transform.dense.forward(h), this.config.hiddenAct));
    return F.linear(t, this.decoderWeight, this.bias);
  }

  /** HF init for the head: the decoder is the (already initialised) embedding matrix, the bias zero. */
  resetBias(): void {
    noGrad(() => this.bias.fill_(0));
  }
}

/** BertForMaskedLM (no pooler, as in HF). */
export class BertForMaskedLM extends Module implements MaskedLanguageModel {
  readonly task = 'masked-lm' as const;
  readonly architecture = 'BertForMaskedLM';
  readonly basePrefix = 'bert';
  readonly bert: BertModel;
  readonly cls;

  constructor(readonly config: EncoderConfig) {
    super();
    if (config.modelType !== 'bert') throw new Error(`masked-LM head is implemented for BERT only, not ${config.modelType}`);
    this.bert = this.child('bert', new BertModel(config, { pooler: false }));
    this.cls = this.child('cls', group({ predictions: new BertLMPredictionHead(config, this.bert.embeddings.word_embeddings.weight) }));
  }

  get encoder(): BertModel { return this.bert; }

  forward(batch: EncoderBatch, options: MaskedLMOptions = {}): MaskedLMOutput {
    const { lastHiddenState, hiddenStates } = this.bert.forward(batch, options);
    const h = options.positions ? lastHiddenState.flatten(0, 1).indexSelect(0, options.positions) : lastHiddenState;
    return { logits: this.cls.predictions.forward(h), lastHiddenState, hiddenStates };
  }

  optionalParts(): OptionalPart[] { return [{ name: 'masked-LM head', prefixes: ['cls.predictions.'], modules: [this.cls.predictions] }]; }
  tiedKeys(): string[] { return ['cls.predictions.decoder.weight', 'cls.predictions.decoder.bias']; }
}
