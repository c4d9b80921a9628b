// Linear probing (LP-FT's first stage): the softmax fit reaches the convex optimum, the head it
// writes predicts what the fit predicted, the encoder is untouched, and fine-tuning records it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { manualSeed, liveTensors, tensor, scope, randn, noGrad } from '../src/engine';
import { createModel, type SequenceClassifier } from '../src/model';
import type { Module } from '../src/nn';
import { loadDatasetFile, splitOf, type Example } from '../src/data';
import { trainTokenizerToDir } from '../src/text/train-tokenizer-cli';
import { TextTokenizer } from '../src/text/tokenizer';
import { fitLogistic } from '../src/eval/logistic';
import { finetune } from '../src/train/finetune';
import { fitSoftmaxRegression, linearProbe, pooledFeatures, LINEAR_PROBE_C } from '../src/train/linear-probe';
import { clearFeatureCache, featureCacheStats } from '../src/train/feature-cache';
import { predict } from '../src/train/predict';

const SLICE = path.join(__dirname, '../../test/fixtures/data/spamassassin-slice.jsonl');

test('two-class softmax regression lands on the binary logistic optimum (Newton, C doubled)', () => scope(() => {
  manualSeed(3);
  const n = 120;
  const d = 4;
  const raw = randn([n, d]);
  // Standardised as linearProbe does (biased variance), so fitLogistic's own standardisation is the identity.
  const x = raw.sub(raw.mean(0, true)).div(raw.var(0, false, true).sqrt());
  const xs = x.toArray() as Float32Array;
  // A noisy linear rule, so the optimum is finite and the penalty matters.
  const labels = Array.from({ length: n }, (_, i) => (xs[i * d]! - 0.5 * xs[i * d + 1]! + 0.8 * Math.sin(7 * i) > 0 ? 1 : 0));
  const c = 0.5;
  const { weight, bias } = fitSoftmaxRegression(x, tensor(labels, { dtype: 'int64' }), 2, c);
  const w = weight.toNumbers();
  const b = bias.toNumbers();
  weight.dispose();
  bias.dispose();
  // mean CE + (|w0|² + |w1|²)/(2CN) with w1 = −w0 = v/2 is sum logloss + |v|²/(4C): fitLogistic's l2 = 1/(2C).
  const rows = Array.from({ length: n }, (_, i) => Array.from(xs.subarray(i * d, (i + 1) * d)));
  const reference = fitLogistic(rows, labels, { l2: 1 / (2 * c) });
  for (let j = 0; j < d; j++) {
    assert.ok(Math.abs(w[d + j]! - w[j]! - reference.weights[j]!) < 1e-3, `weight ${j}: ${w[d + j]! - w[j]!} vs Newton ${reference.weights[j]}`);
  }
  assert.ok(Math.abs(b[1]! - b[0]! - reference.bias) < 1e-3, `bias ${b[1]! - b[0]!} vs Newton ${reference.bias}`);
}));

async function tinySetup(modelType: 'bert' | 'roberta' | 'use-lite') {
  const ds = await loadDatasetFile(SLICE);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-lp-'));
  trainTokenizerToDir(dir, { vocabSize: 500, texts: splitOf(ds, 'train').map((e) => e.text), modelMaxLength: 48 });
  const tokenizer = TextTokenizer.fromDir(dir);
  manualSeed(1);
  const size = modelType === 'use-lite'
    ? { hiddenSize: 32, embeddingSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 64 }
    : { hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64 };
  const model = createModel({ modelType, vocabSize: tokenizer.vocabSize, maxPositionEmbeddings: 64, labels: ds.labels, ...size }) as SequenceClassifier & Module;
  return { ds, dir, tokenizer, model };
}

for (const modelType of ['bert', 'roberta', 'use-lite'] as const) {
  test(`${modelType}: the probed head predicts what the fit chose, the encoder is untouched`, async () => {
    const { ds, dir, tokenizer, model } = await tinySetup(modelType);
    const train = splitOf(ds, 'train');
    const validation = splitOf(ds, 'validation');
    const before = new Map([...model.stateDict()].map(([k, v]) => [k, Array.from(v.toArray() as Float32Array)]));
    const live = liveTensors();
    const record = linearProbe(model, tokenizer, train, validation, { maxLength: 48, batchSize: 32 });
    assert.equal(liveTensors(), live, 'linear probing leaks no tensors');
    assert.deepEqual(record.candidates.map((k) => k.c), [...LINEAR_PROBE_C]);
    const bestAccuracy = Math.max(...record.candidates.map((k) => k.validation_accuracy));
    assert.equal(record.validation_accuracy, bestAccuracy);
    assert.equal(record.c, record.candidates.find((k) => k.validation_accuracy === bestAccuracy)!.c, 'ties go to the smallest C');
    // The standardisation folded into the layer gives the fit's own predictions.
    assert.equal(predict(model, tokenizer, validation, { maxLength: 48, batchSize: 32 }).accuracy, record.validation_accuracy);
    assert.ok(Math.abs(predict(model, tokenizer, train, { maxLength: 48, batchSize: 32 }).accuracy - record.train_accuracy) < 1e-9);
    const head = modelType === 'roberta' ? 'classifier.out_proj.' : 'classifier.';
    let changed = 0;
    for (const [k, v] of model.stateDict()) {
      const same = JSON.stringify(Array.from(v.toArray() as Float32Array)) === JSON.stringify(before.get(k));
      if (k.startsWith(head)) changed += same ? 0 : 1;
      else assert.ok(same, `${k} is not changed by linear probing`);
    }
    assert.equal(changed, 2, 'output weight and bias were fitted');
    model.dispose();
    fs.rmSync(dir, { recursive: true });
  });
}

test('without a validation split the probe uses C = 1 (no NaN), and fine-tuning records the probe across a resume', async () => {
  const { ds, dir, tokenizer, model } = await tinySetup('bert');
  const train = splitOf(ds, 'train');
  const validation = splitOf(ds, 'validation');
  const alone = linearProbe(model, tokenizer, train, [] as Example[], { maxLength: 32, batchSize: 32 });
  assert.equal(alone.c, 1);
  assert.equal(alone.validation_accuracy, null);
  assert.deepEqual(alone.candidates, []);
  model.dispose();

  const options = { epochs: 2, batchSize: 32, lr: 1e-3, weightDecay: 0.01, warmupFraction: 0.1, maxLength: 32, patience: 2, seed: 0, linearProbe: true };
  const fresh = () => { manualSeed(7); return createModel({ vocabSize: tokenizer.vocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32, labels: ds.labels }) as SequenceClassifier & Module; };
  const lines: string[] = [];
  const a = fresh();
  // probeTest scores the probed head before fine-tuning; given the validation rows it must agree with the probe's own score.
  const full = finetune(a, tokenizer, train, validation, { ...options, probeTest: validation, log: (l) => lines.push(l) });
  assert.ok(full.linearProbe && full.linearProbe.validation_accuracy !== null);
  assert.equal(full.linearProbe.test_accuracy, full.linearProbe.validation_accuracy);
  assert.match(lines.join('\n'), /linear probe: C = [\d.]+, train accuracy [\d.]+%, validation accuracy [\d.]+%, test accuracy [\d.]+% \/ macro-F1 [\d.]+/);
  const checkpointDir = path.join(dir, 'checkpoint');
  const b = fresh();
  const perEpoch = Math.ceil(train.length / options.batchSize);
  assert.throws(() => finetune(b, tokenizer, train, validation, { ...options, probeTest: validation, checkpointDir, onStep: ({ step }) => { if (step === perEpoch + 1) throw new Error('killed'); } }), /killed/);
  b.dispose();
  const c = fresh();
  const resumed = finetune(c, tokenizer, train, validation, { ...options, probeTest: validation, checkpointDir, resume: true });
  assert.deepEqual(resumed.linearProbe, full.linearProbe === undefined ? undefined : { ...full.linearProbe, seconds: resumed.linearProbe!.seconds });
  for (const [name, t] of a.stateDict()) assert.deepEqual(c.stateDict().get(name)!.toArray(), t.toArray(), name);
  // A checkpoint written with the probe is not resumed by a run without it.
  assert.throws(() => finetune(fresh(), tokenizer, train, validation, { ...options, linearProbe: false, checkpointDir, resume: true }), /other fine-tuning settings/);
  // Without the option the loop starts from the random head (records from before LP-FT).
  const d = fresh();
  assert.equal(finetune(d, tokenizer, train, validation, { ...options, epochs: 1, linearProbe: undefined }).linearProbe, undefined);
  // The probed head is epoch 0: a fine-tune that only makes validation worse returns it unchanged.
  const e = fresh();
  const wrecked = finetune(e, tokenizer, train, validation, { ...options, lr: 5, epochs: 1, patience: 1 });
  assert.equal(wrecked.bestEpoch, 0, `validation: probe ${wrecked.linearProbe!.validation_accuracy}, epoch 1 ${wrecked.epochs[0]!.validationAccuracy}`);
  assert.equal(predict(e, tokenizer, validation, { maxLength: 32, batchSize: 32 }).accuracy, wrecked.linearProbe!.validation_accuracy);
  for (const m of [a, c, d, e]) m.dispose();
  fs.rmSync(dir, { recursive: true });
});

test('the probe\'s feature cache gives the bits a fresh computation gives, and only for the same encoder weights', async () => {
  const { ds, dir, tokenizer, model } = await tinySetup('use-lite');
  const options = { maxLength: 48, batchSize: 8 };
  const train = splitOf(ds, 'train');
  const first = train.slice(0, 21); // not a multiple of the batch: the last batch is filled
  const second = [...train.slice(10, 30), train[3]!]; // overlaps the first, in another order and batching
  clearFeatureCache();
  scope(() => pooledFeatures(model, tokenizer, first, options));
  const cached = scope(() => pooledFeatures(model, tokenizer, second, options).toNumbers());
  assert.deepEqual(featureCacheStats(), { hits: 12, computed: 30 }, '11 of rows 10..20 and row 3 came from the cache');
  clearFeatureCache();
  const fresh = scope(() => pooledFeatures(model, tokenizer, second, options).toNumbers());
  assert.deepEqual(cached, fresh, 'cached rows are bit-identical to a fresh computation');
  // Other weights, another fingerprint: nothing is reused.
  noGrad(() => { const p = model.encoder.stack().layers[0]!.parameters()[0]!; p.copy_(p.mul(1.5)); });
  const before = featureCacheStats();
  const changed = scope(() => pooledFeatures(model, tokenizer, second, options).toNumbers());
  assert.equal(featureCacheStats().computed - before.computed, second.length);
  assert.notDeepEqual(changed, fresh);
  clearFeatureCache();
  model.dispose();
  fs.rmSync(dir, { recursive: true });
});
