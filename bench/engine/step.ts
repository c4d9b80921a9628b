// One process, one thread setting: times the BERT-style training step
// (forward + backward + AdamW) on deepcut's engine. Prints one JSON line.
// Run by bench/engine/bench.ts, which sets the thread environment per process.
import { parseArgs } from 'node:util';
import { randint, ones, zeros, scope, manualSeed, F, AdamW, setNumThreads, getNumThreads } from '../../src/engine';
import { createModel } from '../../src/model';

const { values } = parseArgs({
  options: Object.fromEntries(
    ['vocab', 'hidden', 'layers', 'heads', 'ffn', 'seq', 'batch', 'classes', 'steps', 'warmup', 'threads', 'seed'].map((k) => [k, { type: 'string' as const }]),
  ),
});
const arg = (name: string, fallback: number): number => (values[name] === undefined ? fallback : Number(values[name]));

const a = {
  vocab: arg('vocab', 8000), hidden: arg('hidden', 256), layers: arg('layers', 4), heads: arg('heads', 4), ffn: arg('ffn', 1024),
  seq: arg('seq', 128), batch: arg('batch', 16), classes: arg('classes', 2), steps: arg('steps', 10), warmup: arg('warmup', 3),
  threads: arg('threads', 1), seed: arg('seed', 0),
};

setNumThreads(a.threads);
manualSeed(a.seed);
const model = createModel({
  vocabSize: a.vocab, hiddenSize: a.hidden, numLayers: a.layers, numHeads: a.heads, intermediateSize: a.ffn,
  maxPositionEmbeddings: a.seq, labels: Array.from({ length: a.classes }, (_, i) => `LABEL_${i}`),
});
model.train();
const ids = randint(0, a.vocab, [a.batch, a.seq]);
const mask = ones([a.batch, a.seq], 'int64');
const types = zeros([a.batch, a.seq], 'int64');
const labels = randint(0, a.classes, [a.batch]);
const optimizer = new AdamW(model.parameters(), { lr: 1e-4, weightDecay: 0.01 });
const times: number[] = [];
let loss = NaN;
for (let step = 0; step < a.warmup + a.steps; step++) {
  const t0 = performance.now();
  loss = scope(() => {
    optimizer.zeroGrad();
    const l = F.crossEntropy(model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: types }).logits, labels);
    l.backward();
    optimizer.step();
    return l.item();
  });
  if (step >= a.warmup) times.push(performance.now() - t0);
}
const sorted = [...times].sort((x, y) => x - y);
const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
console.log(JSON.stringify({ impl: 'engine', median_ms: median, times_ms: times, threads: getNumThreads(), loss }));
