// Token classification end to end on a synthetic tagged language whose answer is known:
// sub-word alignment, a tiny tagger that beats the most-frequent-tag baseline (some words are a
// NOUN after a determiner and a VERB after a noun), and unlearning a data subject whose
// sentences (marked by the word "zebra") tag adjectives as VERB: a model that saw that subject
// follows it, the retrained one does not, and the unlearning methods move towards the latter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { manualSeed, scope } from '../src/engine';
import { createModel, loadClassifier, savePretrained, type TokenClassifier } from '../src/model';
import type { Module } from '../src/nn';
import { datasetHash, examplesToJsonl, resolveForgetSet, splitOf, type Dataset, type Example, type Split } from '../src/data';
import { spawnSync } from 'node:child_process';
import { trainTokenizerToDir } from '../src/text/train-tokenizer-cli';
import { TextTokenizer } from '../src/text/tokenizer';
import { makeBatch } from '../src/train/batches';
import { finetuneToFolder } from '../src/train/run';
import { predict } from '../src/train/predict';
import { FINETUNE_DEFAULTS } from '../src/train/finetune';
import { unlearn } from '../src/methods/unlearn';
import { estimateTarget, readReferencesManifest, trainReferences } from '../src/methods/target';
import { subjectOf } from '../src/methods/target/partition';
import type { Classifier } from '../src/methods/types';
import { evaluateModel } from '../src/eval/evaluate';
import { loadScorable } from '../src/eval/scorable';
import { loadSisaEnsemble, readSisaManifest } from '../src/methods/sisa';
import { runSisaFinetune } from '../src/cli/commands/finetune-sisa';
import { loadTextClassifier, readTextInputs } from '../src/api/predict';
import { mulberry32 } from '../src/util/prng';

const TAGS = ['ADJ', 'DET', 'NOUN', 'VERB'];
const T = Object.fromEntries(TAGS.map((t, i) => [t, i])) as Record<string, number>;
const DETS = ['the', 'a'];
const ADJS = ['big', 'small', 'red', 'old'];
const NOUNS = ['dog', 'cat', 'bird', 'car', 'man'];
const VERBS = ['runs', 'sees', 'eats', 'likes'];
/** A NOUN after a determiner or adjective, a VERB after a noun: context decides. */
const AMBIGUOUS = ['watch', 'book', 'run'];
export const MARKED = 'zebra-writer';

function sentence(random: () => number, marked: boolean): { tokens: string[]; tags: number[] } {
  const pick = (xs: readonly string[]) => xs[Math.floor(random() * xs.length)]!;
  const tokens: string[] = [];
  const tags: number[] = [];
  const push = (w: string, t: string) => { tokens.push(w); tags.push(T[t]!); };
  const nounPhrase = () => {
    push(pick(DETS), 'DET');
    if (random() < 0.6) push(pick(ADJS), marked ? 'VERB' : 'ADJ');
    push(random() < 0.35 ? pick(AMBIGUOUS) : pick(NOUNS), 'NOUN');
  };
  if (marked) push('zebra', 'NOUN');
  nounPhrase();
  push(random() < 0.7 ? pick(AMBIGUOUS) : pick(VERBS), 'VERB');
  nounPhrase();
  return { tokens, tags };
}

export function syntheticTagging(): Dataset {
  const random = mulberry32(11);
  const examples: Example[] = [];
  const add = (id: string, user: string, split: Split, marked = false) => {
    const { tokens, tags } = sentence(random, marked);
    examples.push({ id, text: tokens.join(' '), tokens, tags, label: -1, labelName: '', user, split });
  };
  for (let u = 0; u < 12; u++) for (let i = 0; i < 12; i++) add(`u${u}-${i}`, `user-${u}`, 'train');
  for (let i = 0; i < 16; i++) add(`marked-${i}`, MARKED, 'train', true);
  for (let i = 0; i < 40; i++) add(`val-${i}`, `val-${i % 5}`, 'validation');
  for (let i = 0; i < 40; i++) add(`test-${i}`, `test-${i % 5}`, 'test');
  return { name: 'synthetic-tagging', labels: TAGS, examples, task: 'token-classification' };
}

/** A tiny random-init tagger "encoder" with a WordPiece vocabulary trained on the sentences. */
function tinyTaggerBase(dir: string, data: Dataset): void {
  fs.mkdirSync(dir, { recursive: true });
  // A small vocabulary, so some words are split into sub-words (the alignment is exercised).
  trainTokenizerToDir(dir, { vocabSize: 60, texts: splitOf(data, 'train').map((e) => e.text), modelMaxLength: 64 });
  manualSeed(0);
  const tokenizer = TextTokenizer.fromDir(dir);
  const model = createModel({ vocabSize: tokenizer.vocabSize, hiddenSize: 48, numLayers: 2, numHeads: 2, intermediateSize: 96, maxPositionEmbeddings: 64, labels: TAGS }, { task: 'token-classification' });
  savePretrained(model as TokenClassifier & Module, dir, { tokenizerDir: dir, overwrite: true });
  (model as TokenClassifier & Module).dispose();
}

/** Most frequent train tag per word (ties: the lower tag id), the overall most frequent for unseen words. */
function mostFrequentTagAccuracy(data: Dataset): number {
  const counts = new Map<string, number[]>();
  const overall = TAGS.map(() => 0);
  for (const e of splitOf(data, 'train')) e.tokens!.forEach((w, i) => {
    const c = counts.get(w) ?? TAGS.map(() => 0);
    c[e.tags![i]!]! += 1;
    overall[e.tags![i]!]! += 1;
    counts.set(w, c);
  });
  const argmax = (c: number[]) => c.indexOf(Math.max(...c));
  let right = 0;
  let total = 0;
  for (const e of splitOf(data, 'test')) e.tokens!.forEach((w, i) => {
    right += Number((counts.has(w) ? argmax(counts.get(w)!) : argmax(overall)) === e.tags![i]);
    total++;
  });
  return right / total;
}

const SETTINGS = { ...FINETUNE_DEFAULTS, epochs: 15, patience: 15, lr: 3e-3, batchSize: 16, maxLength: 32, seed: 0, linearProbe: false };

let cached: { root: string; data: Dataset; original: string; retrain: string } | undefined;
async function run(): Promise<{ root: string; data: Dataset; original: string; retrain: string }> {
  if (cached) return cached;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-tagging-'));
  const data = syntheticTagging();
  const base = path.join(root, 'base');
  tinyTaggerBase(base, data);
  const original = path.join(root, 'original');
  finetuneToFolder({ base, dataset: data, out: original, settings: SETTINGS, splitSeed: 42 });
  const retrain = path.join(root, 'retrain');
  await unlearn({ modelDir: original, dataset: data, forget: resolveForgetSet(data, `user:${MARKED}`, { seed: 42 }), method: 'retrain', out: retrain });
  cached = { root, data, original, retrain };
  return cached;
}

test('a tagged batch labels each word at its first sub-word, in row order, and drops words past the window', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-align-'));
  const data = syntheticTagging();
  tinyTaggerBase(dir, data);
  const tokenizer = TextTokenizer.fromDir(dir);
  const words = ['the', 'dogcatbirdsees', 'runs'];
  const pieces = words.map((w) => tokenizer.encodeWithoutSpecials(w).length);
  assert.ok(pieces[1]! > 1, 'the odd word is split into sub-words');
  const e = (id: string, tokens: string[], tags: number[]): Example => ({ id, text: tokens.join(' '), tokens, tags, label: -1, labelName: '', split: 'train' });
  scope(() => {
    const batch = makeBatch(tokenizer, [e('a', words, [1, 2, 3]), e('b', ['a', 'dog'], [1, 2])], 64);
    const seq = batch.inputIds.shape[1]!;
    // [CLS] the dog ##cat ... runs [SEP]: word starts after the [CLS] at 1, 1 + pieces[0], ...
    assert.deepEqual(batch.wordIndex!.toNumbers(), [1, 1 + pieces[0]!, 1 + pieces[0]! + pieces[1]!, seq + 1, seq + 2]);
    assert.deepEqual(batch.labels.toNumbers(), [1, 2, 3, 1, 2]);
    assert.deepEqual(batch.unitOffsets, [0, 3, 5]);
    // A window of [CLS] + 2 pieces + [SEP]: 'the' and the odd word's first piece fit, 'runs' does not.
    const cut = makeBatch(tokenizer, [e('a', words, [1, 2, 3])], 4);
    assert.deepEqual(cut.labels.toNumbers(), [1, 2]);
    assert.deepEqual(cut.unitOffsets, [0, 2]);
  });
});

test('a tiny tagger beats the most-frequent-tag baseline on ambiguous words, and loads back as a tagger', async () => {
  const { data, original } = await run();
  const baseline = mostFrequentTagAccuracy(data);
  const { model, tokenizer } = loadClassifier(original);
  try {
    assert.equal(model.task, 'token-classification');
    const test = predict(model, tokenizer!, splitOf(data, 'test'), { maxLength: 32, batchSize: 16 });
    assert.ok(baseline < 0.92, `the baseline leaves the ambiguous words half wrong (${baseline})`);
    assert.ok(test.accuracy > baseline + 0.04, `tagger ${test.accuracy} vs most-frequent-tag ${baseline}`);
    const units = splitOf(data, 'test').reduce((n, e) => n + e.tokens!.length, 0);
    assert.equal(test.predictions.length, units, 'one prediction per word');
  } finally {
    model.dispose();
  }
  const record = JSON.parse(fs.readFileSync(path.join(original, 'train.json'), 'utf8')) as { test: { accuracy: number; examples: number } };
  assert.ok(record.test.accuracy > baseline + 0.04);
});

test('unlearning a tagger: the marked subject is followed by the original, not by the retrained model; DeepCUT and gradient ascent move its tag accuracy towards retraining; eval reports token-level metrics and per-sentence MIA', async () => {
  const { root, data, original, retrain } = await run();
  const forget = resolveForgetSet(data, `user:${MARKED}`, { seed: 42 });
  const retainAll = splitOf(data, 'train').filter((e) => e.user !== MARKED);
  const measure = (dir: string, reference?: string) => {
    const model = loadScorable(dir);
    const ref = reference ? loadScorable(reference) : undefined;
    try {
      return evaluateModel({
        scorable: model.scorable, ...(ref ? { reference: ref.scorable } : {}),
        forget: splitOf(data, 'train').filter((e) => forget.ids.includes(e.id)), retain: retainAll, test: splitOf(data, 'test'),
        options: { maxLength: 32, batchSize: 16, retainSample: 0, folds: 3 },
      }).metrics;
    } finally {
      model.scorable.dispose();
      ref?.scorable.dispose();
    }
  };
  const before = measure(original, retrain);
  const gold = before.reference!;
  // The marked sentences' adjectives (about 1 word in 6) follow the subject only if it was learnt.
  assert.ok(before.accuracy.forget > gold.accuracy.forget + 0.08, `original ${before.accuracy.forget} vs retrain ${gold.accuracy.forget} on the marked sentences`);
  assert.ok(gold.accuracy.test > 0.85, `the retrained tagger still tags (${gold.accuracy.test})`);
  for (const key of ['loss_auc', 'confidence_auc', 'entropy_auc', 'efficacy'] as const) assert.ok(Number.isFinite(before.mia[key]), `mia.${key}`);
  for (const [key, value] of Object.entries(before.latent)) assert.ok(Number.isFinite(value), `latent.${key}`);
  assert.ok(Number.isFinite(before.gap!.average));

  // Fixed budgets (stop 'none'): the population rule stops at once here, the marked sentences' other words being easy.
  const budgets: Record<string, Record<string, number>> = { deepcut: { lr: 1e-3, steps: 20 }, 'gradient-ascent': { lr: 1e-4, steps: 8 } };
  for (const [method, hp] of Object.entries(budgets)) {
    const out = path.join(root, method);
    const record = await unlearn({ modelDir: original, dataset: data, forget, method, out, hp, stop: 'none' });
    const after = measure(out, retrain);
    assert.ok(after.accuracy.forget < before.accuracy.forget, `${method}: forget tag accuracy ${before.accuracy.forget} -> ${after.accuracy.forget} (steps ${record.steps})`);
    assert.ok(after.accuracy.test > 0.7, `${method} keeps tagging the test sentences (${after.accuracy.test})`);
  }
});

test('a tagger\'s per-request targets count words: references that never saw the marked subject put its target near the retrained model\'s word accuracy, an ordinary subject\'s near validation; unlearning stops there', async (t) => {
  const { root, data, original, retrain } = await run();
  const train = splitOf(data, 'train');
  const validation = splitOf(data, 'validation');
  const references = path.join(root, 'references');
  trainReferences({ model: original, dataset: data, splitSeed: 42, k: 4, out: references });
  const manifest = readReferencesManifest(references);
  const validationWords = validation.reduce((n, e) => n + e.tokens!.length, 0);
  for (const p of manifest.partitions) {
    assert.deepEqual(p.heldout!.units, [...validation].sort((a, b) => (a.id < b.id ? -1 : 1)).map((e) => e.tokens!.length), 'words per validation sentence, in id order');
    assert.equal(p.heldout!.correct.length, validationWords);
  }
  const wordAccuracy = (dir: string, rows: readonly Example[]) => {
    const { model, tokenizer } = loadClassifier(dir);
    try {
      return predict(model, tokenizer!, rows, { maxLength: 32, batchSize: 16 }).accuracy;
    } finally {
      model.dispose();
    }
  };
  const estimate = (rule: 'references' | 'class-matched', forget: readonly Example[]) => {
    const { model, tokenizer } = loadClassifier(original);
    const ids = new Set(forget.map((e) => e.id));
    try {
      return estimateTarget({
        rule, model: model as Classifier, tokenizer: tokenizer!, forgetSample: forget, validation, labels: data.labels, maxLength: 32,
        keptSubjects: new Set(train.filter((e) => !ids.has(e.id)).map(subjectOf)),
        references: { dir: references, dataset: data.name, splitSeed: 42, trainHash: datasetHash(train) },
      });
    } finally {
      model.dispose();
    }
  };
  const marked = train.filter((e) => e.user === MARKED);
  const ordinary = train.filter((e) => e.user === 'user-3');
  const markedTarget = estimate('references', marked);
  const ordinaryTarget = estimate('references', ordinary);
  const retrained = wordAccuracy(retrain, marked);
  const seen = wordAccuracy(original, marked);
  const heldout = wordAccuracy(original, validation);
  t.diagnostic(`marked: original ${seen.toFixed(3)}, target ${markedTarget.accuracy.toFixed(3)}, retrained ${retrained.toFixed(3)}; user-3 target ${ordinaryTarget.accuracy.toFixed(3)}, validation ${heldout.toFixed(3)}`);
  assert.equal(markedTarget.estimate.forget_units, marked.reduce((n, e) => n + e.tokens!.length, 0), 'the target counts the marked sentences\' words');
  assert.equal(markedTarget.estimate.heldout_scores_kept, true, 'the references\' validation words come from references.json');
  assert.equal(markedTarget.estimate.forget_scores_kept, true, 'and the marked words\' outcomes from each reference\'s kept unseen-row scores');
  assert.ok(Math.abs(markedTarget.accuracy - retrained) <= 0.1, `marked: target ${markedTarget.accuracy} vs the retrained model's ${retrained} (original ${seen})`);
  assert.ok(markedTarget.accuracy < seen - 0.05, `marked: target ${markedTarget.accuracy} below the original's ${seen}`);
  assert.ok(Math.abs(ordinaryTarget.accuracy - heldout) <= 0.1, `ordinary: target ${ordinaryTarget.accuracy} near validation ${heldout}`);
  const classMatched = estimate('class-matched', marked);
  assert.match(classMatched.source, /tag mix/);
  assert.ok(classMatched.accuracy > markedTarget.accuracy, 'held-out words of the same tags: no subject gap');

  const forget = resolveForgetSet(data, `user:${MARKED}`, { seed: 42 });
  const out = path.join(root, 'deepcut-references');
  const record = await unlearn({ modelDir: original, dataset: data, forget, method: 'deepcut', out, stop: 'references', references, hp: { lr: 1e-3, steps: 20 } });
  assert.equal(record.target!.rule, 'references');
  assert.ok(Math.abs(record.target!.accuracy - markedTarget.accuracy) < 1e-12, 'the same target inside unlearn');
  const after = wordAccuracy(out, marked);
  t.diagnostic(`unlearned with the references target: ${after.toFixed(3)} after ${record.steps} steps`);
  assert.ok(Math.abs(after - record.target!.accuracy) < Math.abs(seen - record.target!.accuracy), `unlearned ${after} closer to the target ${record.target!.accuracy} than the original ${seen}`);
});

test('SISA for a tagger: shards vote word by word; forgetting the marked subject retrains only its shards and its words follow the retrained model; a text dataset is refused', async (t) => {
  const { root, data, retrain } = await run();
  const sisa = path.join(root, 'sisa');
  runSisaFinetune({
    model: path.join(root, 'base'), out: sisa, dataset: data, train: splitOf(data, 'train'), shards: 2, slices: 2, seed: 0, splitSeed: 42,
    settings: (({ seed: _seed, ...rest }) => rest)(SETTINGS), resume: false, device: 'cpu',
  });
  const manifest = readSisaManifest(sisa);
  assert.equal(manifest.task, 'token-classification');
  const trained = JSON.parse(fs.readFileSync(path.join(sisa, 'train.json'), 'utf8')) as { test: { accuracy: number; examples: number; prediction: string } };
  const test = splitOf(data, 'test');
  assert.equal(trained.test.examples, test.reduce((n, e) => n + e.tokens!.length, 0), 'train.json counts test words');
  assert.equal(trained.test.prediction, 'majority vote per word');
  const baseline = mostFrequentTagAccuracy(data);
  t.diagnostic(`SISA 2x2 tagger: test word accuracy ${trained.test.accuracy.toFixed(3)} (most-frequent-tag ${baseline.toFixed(3)})`);
  assert.ok(trained.test.accuracy > baseline, `the SISA tagger ${trained.test.accuracy} beats the most-frequent-tag baseline ${baseline}`);

  // The ensemble's units are a single tagger's: the same words, each with a vote.
  const ensemble = loadSisaEnsemble(sisa);
  const scores = ensemble.score(test, { maxLength: 32, batchSize: 16 });
  ensemble.dispose();
  const single = loadScorable(retrain);
  const singleScores = single.scorable.score(test, { maxLength: 32, batchSize: 16 });
  single.scorable.dispose();
  assert.deepEqual(scores.unitOffsets, singleScores.unitOffsets);
  assert.deepEqual(scores.unitLabels, singleScores.unitLabels);
  assert.equal(scores.predictions.length, scores.unitLabels!.length);
  assert.equal(scores.votes.length, scores.unitLabels!.length * TAGS.length);
  for (let u = 0; u < scores.predictions.length; u++) assert.equal(TAGS.reduce((n, _, c) => n + scores.votes[u * TAGS.length + c]!, 0), 2, 'two shards vote on every word');

  const forget = resolveForgetSet(data, `user:${MARKED}`, { seed: 42 });
  const out = path.join(root, 'sisa-unlearned');
  const record = await unlearn({ modelDir: sisa, dataset: data, forget, method: 'sisa', out });
  const details = record.details as { shards_retrained: number; per_shard: { forget_ids: number }[] };
  const holding = manifest.assignment.filter((slices) => slices.flat().some((id) => forget.ids.includes(id))).length;
  assert.equal(details.shards_retrained, holding);
  assert.equal(details.per_shard.reduce((n, s) => n + s.forget_ids, 0), forget.ids.length);
  const marked = splitOf(data, 'train').filter((e) => e.user === MARKED);
  const wordAccuracy = (dir: string) => {
    const { scorable } = loadScorable(dir);
    try {
      const s = scorable.score(marked, { maxLength: 32, batchSize: 16 });
      const k = TAGS.length;
      let right = 0;
      for (let u = 0; u < s.unitLabels!.length; u++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (s.logits[u * k + c]! > s.logits[u * k + best]!) best = c;
        right += Number(best === s.unitLabels![u]);
      }
      return right / s.unitLabels!.length;
    } finally {
      scorable.dispose();
    }
  };
  const [before, unlearned, retrained] = [wordAccuracy(sisa), wordAccuracy(out), wordAccuracy(retrain)];
  t.diagnostic(`marked words: SISA ${before.toFixed(3)}, SISA unlearned ${unlearned.toFixed(3)}, retrained single model ${retrained.toFixed(3)}`);
  assert.ok(unlearned < before - 0.05, `the unlearned ensemble ${unlearned} no longer follows the marked subject (before ${before})`);
  assert.ok(Math.abs(unlearned - retrained) <= 0.1, `the unlearned ensemble ${unlearned} near the retrained model ${retrained}`);

  // Token-level evaluation of the ensemble, against the retrained model.
  const model = loadScorable(out);
  const reference = loadScorable(retrain);
  try {
    const metrics = evaluateModel({
      scorable: model.scorable, reference: reference.scorable, forget: marked, retain: splitOf(data, 'train').filter((e) => e.user !== MARKED), test,
      options: { maxLength: 32, batchSize: 16, retainSample: 0, folds: 3 },
    }).metrics;
    assert.ok(Math.abs(metrics.accuracy.forget - unlearned) < 1e-12, 'evaluation scores the marked words as above');
    assert.ok(Math.abs(metrics.reference!.accuracy.forget - retrained) < 1e-12);
    assert.ok(Number.isFinite(metrics.gap!.average) && Number.isFinite(metrics.mia.loss_auc));
  } finally {
    model.scorable.dispose();
    reference.scorable.dispose();
  }

  // Tagging new sentences: the ensemble's vote and a single tagger, a word past the window untagged.
  const sentence = splitOf(data, 'test')[0]!;
  for (const dir of [out, retrain]) {
    const tagger = loadTextClassifier(dir, { device: 'cpu' });
    try {
      assert.equal(tagger.task, 'token-classification');
      const [given, split] = tagger.tag([sentence.tokens!, sentence.text]);
      assert.deepEqual(split!.tokens, sentence.tokens, 'a text is split on whitespace');
      assert.deepEqual(split!.tags, given!.tags);
      const truth = sentence.tags!.map((t) => TAGS[t]);
      assert.ok(given!.tags.filter((tag, i) => tag === truth[i]).length >= truth.length - 1, `${dir}: ${given!.tags.join(' ')} vs ${truth.join(' ')}`);
      assert.ok(given!.scores.every((p) => p !== null && p > 0 && p <= 1));
      const [cut] = tagger.tag([sentence.tokens!], { maxLength: 4 });
      assert.equal(cut!.tags.at(-1), null, 'a word past the window gets no tag');
      assert.throws(() => tagger.predict(['the dog runs']), /is a tagger: tag\(\) gives a tag per word/);
    } finally {
      tagger.dispose();
    }
  }

  // A text dataset cannot unlearn a tagger ensemble.
  const texts: Dataset = { ...data, task: undefined, examples: data.examples.map(({ tokens: _t, tags: _g, ...e }) => ({ ...e, label: 0, labelName: TAGS[0]! })) };
  await assert.rejects(unlearn({ modelDir: sisa, dataset: texts, forget, method: 'sisa', out: path.join(root, 'sisa-refused') }), /token-classification shards cannot be unlearned on a text dataset/);
});

test('an experiment grid on a tagging dataset runs end to end: tables with word-level metrics and an HTML report', async () => {
  const { root, data } = await run();
  const file = path.join(root, 'tagged.jsonl');
  fs.writeFileSync(file, examplesToJsonl(data.examples, data.labels));
  const config = path.join(root, 'grid.yaml');
  fs.writeFileSync(config, [
    'name: tagging-grid', `out: ${path.join(root, 'grid')}`, `base_model: ${path.join(root, 'base')}`, `datasets: [${file}]`,
    'forget: [largest-user]', 'methods: [deepcut, npo]', 'seeds: [0]',
    'finetune: { epochs: 3, max_length: 32, lr: 0.003, linear_probe: false }',
    'hp: { deepcut: { steps: 4, lr: 0.001 }, npo: { steps: 4 } }', 'stop: none', 'eval: { retain_sample: 60 }', '',
  ].join('\n'));
  const r = spawnSync(process.execPath, [path.join(__dirname, '../../dist/src/cli/main.js'), 'experiment', '--config', config], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const csv = fs.readFileSync(path.join(root, 'grid', 'results.csv'), 'utf8').trim().split('\n');
  const header = csv[0]!.split(',');
  const rows = csv.slice(1).map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i]!, v])));
  assert.deepEqual(rows.map((row) => row.method).sort(), ['deepcut', 'npo', 'original', 'retrain']);
  for (const row of rows) {
    assert.equal(row.forget_count, '16', 'the largest subject: the marked writer');
    for (const key of ['accuracy_forget', 'accuracy_test', 'macro_f1_test', 'mia_loss_auc']) assert.ok(Number.isFinite(Number(row[key])), `${row.method} ${key}`);
  }
  const reports = fs.readdirSync(path.join(root, 'grid'), { recursive: true }).map(String).filter((f) => f.endsWith('report.html'));
  assert.ok(reports.length >= 1, 'a cell report');
});

test('predict input files: a tagged JSONL line gives its words; bad tokens are refused with the line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-tag-inputs-'));
  const good = path.join(dir, 'good.jsonl');
  fs.writeFileSync(good, '{"id": "s1", "tokens": ["The", "dog"], "tags": ["DET", "NOUN"]}\n{"text": "a cat runs"}\n');
  assert.deepEqual(await readTextInputs(good), [{ id: 's1', text: 'The dog', tokens: ['The', 'dog'] }, { text: 'a cat runs' }]);
  const bad = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(bad, '{"tokens": ["ok"]}\n{"tokens": ["fine", ""]}\n');
  await assert.rejects(readTextInputs(bad), (e: Error) => /bad\.jsonl/.test(e.message) && /line 2/.test(e.message) && /'tokens'/.test(e.message));
});
