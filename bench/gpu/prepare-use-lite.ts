// For tools/gpu/check.sh: a USE-Lite sequence classifier folder and a fixed batch, the inputs of
// bench/common/step.js and tools/use-lite/torch_use_lite.py on the same GPU. The weights are the
// converted ones when the source folder has model.safetensors, else seeded random ones of its
// config.json (a step's time does not depend on the values); the batch is seeded random pieces,
// every position real, as bench/encoder uses when a folder has no tokenizer.
//
//   node dist/bench/gpu/prepare-use-lite.js --source models/use-lite --out DIR [--batch 16 --seq 128 --classes 2 --seed 0]
// writes DIR/classifier/ and DIR/batch.json and prints one JSON line describing them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { manualSeed, randint } from '../../src/engine';
import { createModel, loadPretrained, savePretrained, type SequenceClassifier } from '../../src/model';
import { parseHfConfig } from '../../src/model/config';
import type { BatchFile } from '../common/harness';

/** USE-Lite's SentencePiece ids below this are unk, <s>, </s> and reserved pieces. */
const FIRST_PIECE = 6;

const { values } = parseArgs({ options: Object.fromEntries(['source', 'out', 'batch', 'seq', 'classes', 'seed'].map((k) => [k, { type: 'string' as const }])) });
const int = (name: string, fallback: number): number => {
  const raw = values[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${raw}'`);
  return n;
};
if (values.source === undefined || values.out === undefined) throw new Error('usage: prepare-use-lite.js --source DIR --out DIR [--batch N --seq N --classes N --seed N]');
const source = path.resolve(values.source);
const out = path.resolve(values.out);
const batch = int('batch', 16);
const seq = int('seq', 128);
const classes = int('classes', 2);
manualSeed(values.seed === undefined ? 0 : Number(values.seed));

const labels = Array.from({ length: classes }, (_, i) => `LABEL_${i}`);
const weights = fs.existsSync(path.join(source, 'model.safetensors'));
let model: SequenceClassifier;
if (weights) {
  model = loadPretrained(source, { labels }).model;
} else {
  const configFile = path.join(source, 'config.json');
  const config = parseHfConfig(JSON.parse(fs.readFileSync(configFile, 'utf8')), configFile);
  model = createModel({ ...config, labels });
}
if (model.config.modelType !== 'use-lite') throw new Error(`${source}: model_type ${model.config.modelType}, expected use-lite`);
if (seq > model.config.maxPositionEmbeddings) throw new Error(`--seq ${seq} exceeds the model's ${model.config.maxPositionEmbeddings} positions`);
fs.mkdirSync(out, { recursive: true });
const classifierDir = path.join(out, 'classifier');
savePretrained(model, classifierDir, { overwrite: true });
const ids = randint(FIRST_PIECE, model.config.vocabSize, [batch, seq]).toNumbers();
const rows = (flat: number[]): number[][] => Array.from({ length: batch }, (_, i) => flat.slice(i * seq, (i + 1) * seq));
const file: BatchFile = {
  inputIds: rows(ids), attentionMask: rows(new Array<number>(batch * seq).fill(1)), tokenTypeIds: rows(new Array<number>(batch * seq).fill(0)),
  labels: randint(0, classes, [batch]).toNumbers(),
};
fs.writeFileSync(path.join(out, 'batch.json'), JSON.stringify(file));
const c = model.config;
console.log(JSON.stringify({
  classifier: classifierDir, batch_file: path.join(out, 'batch.json'), weights: weights ? 'converted' : 'random (config.json only)',
  batch, seq, classes, layers: c.numLayers, hidden: c.hiddenSize, embedding: c.embeddingSize ?? null, vocab: c.vocabSize, parameters: model.numParameters(),
}));
model.dispose();
