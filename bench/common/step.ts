// One process, one thread setting: times a BERT-style training step (forward +
// cross-entropy + backward + AdamW) on deepcut's engine, dropout on. Prints one JSON line.
// Run by bench/engine and bench/encoder (bench/common/harness.ts), which set the
// thread environment per process. PyTorch twin: bench/common/torch_step.py.
//
// Two sources of model and batch:
//   default:                 createModel with the given shape, HF init, random ids and labels;
//   --model DIR --inputs F:  loadPretrained(DIR) as a sequence classifier and the batch in F
//                            (a BatchFile, see harness.ts).
//                            Also reports eval_loss: the loss in eval mode (no dropout) before
//                            training, which the PyTorch side must reproduce on the same weights.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { randint, ones, zeros, tensor, scope, noGrad, manualSeed, F, AdamW, setNumThreads, getNumThreads, parseDeviceSpec, resolveDevice, type Tensor } from '../../src/engine';
import { createModel, loadPretrained, type EncoderBatch, type SequenceClassifier } from '../../src/model';
import type { BatchFile } from './harness';

const { values } = parseArgs({
  options: {
    ...Object.fromEntries(
      ['vocab', 'hidden', 'layers', 'heads', 'ffn', 'seq', 'batch', 'classes', 'steps', 'warmup', 'threads', 'seed'].map((k) => [k, { type: 'string' as const }]),
    ),
    model: { type: 'string' },
    inputs: { type: 'string' },
    // cpu (default) or cuda[:N]: the model and batch live there; every step ends with loss.item(),
    // which waits for the device, so the wall time of a step is the device's too.
    device: { type: 'string' },
  },
});
const arg = (name: string, fallback: number): number => (values[name as keyof typeof values] === undefined ? fallback : Number(values[name as keyof typeof values]));

const a = {
  vocab: arg('vocab', 8000), hidden: arg('hidden', 256), layers: arg('layers', 4), heads: arg('heads', 4), ffn: arg('ffn', 1024),
  seq: arg('seq', 128), batch: arg('batch', 16), classes: arg('classes', 2), steps: arg('steps', 10), warmup: arg('warmup', 3),
  threads: arg('threads', 1), seed: arg('seed', 0),
};

setNumThreads(a.threads);
manualSeed(a.seed);
const device = resolveDevice(parseDeviceSpec(values.device ?? 'cpu', '--device'), '--device');
let model: SequenceClassifier;
let inputs: EncoderBatch;
let labels: Tensor;
if (values.model !== undefined) {
  if (values.inputs === undefined) throw new Error('--model needs --inputs');
  model = loadPretrained(values.model, { numLabels: a.classes, device }).model;
  const b = JSON.parse(fs.readFileSync(values.inputs, 'utf8')) as BatchFile;
  const ids = (rows: number[][]) => tensor(rows.flat(), { shape: [rows.length, rows[0]!.length], dtype: 'int64', device });
  inputs = { inputIds: ids(b.inputIds), attentionMask: ids(b.attentionMask), tokenTypeIds: ids(b.tokenTypeIds) };
  labels = tensor(b.labels, { dtype: 'int64', device });
} else {
  model = createModel({
    vocabSize: a.vocab, hiddenSize: a.hidden, numLayers: a.layers, numHeads: a.heads, intermediateSize: a.ffn,
    maxPositionEmbeddings: a.seq, labels: Array.from({ length: a.classes }, (_, i) => `LABEL_${i}`),
  }, { device });
  inputs = {
    inputIds: randint(0, a.vocab, [a.batch, a.seq], { device }), attentionMask: ones([a.batch, a.seq], { dtype: 'int64', device }),
    tokenTypeIds: zeros([a.batch, a.seq], { dtype: 'int64', device }),
  };
  labels = randint(0, a.classes, [a.batch], { device });
}
let evalLoss: number | undefined;
if (values.model !== undefined) {
  model.eval();
  evalLoss = noGrad(() => scope(() => F.crossEntropy(model.forward(inputs).logits, labels).item()));
}
model.train();
const optimizer = new AdamW(model.parameters(), { lr: 1e-4, weightDecay: 0.01 });
const times: number[] = [];
let loss = NaN;
for (let step = 0; step < a.warmup + a.steps; step++) {
  const t0 = performance.now();
  loss = scope(() => {
    optimizer.zeroGrad();
    const l = F.crossEntropy(model.forward(inputs).logits, labels);
    l.backward();
    optimizer.step();
    return l.item();
  });
  if (step >= a.warmup) times.push(performance.now() - t0);
}
const sorted = [...times].sort((x, y) => x - y);
const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
console.log(JSON.stringify({ impl: 'engine', median_ms: median, times_ms: times, threads: getNumThreads(), loss, eval_loss: evalLoss, device }));
