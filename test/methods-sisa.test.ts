// SISA on a tiny random-init BERT and the SpamAssassin slice: the assignment, the vote, the CLI
// that trains a SISA folder, and unlearning that retrains only the shards holding forget ids
// (counted), from the right slice checkpoint, exactly and resumably.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { manualSeed } from '../src/engine';
import { createModel, savePretrained } from '../src/model';
import { loadDatasetFile, resolveForgetSet, splitOf, type Dataset, type ForgetSet } from '../src/data';
import { trainTokenizerToDir } from '../src/text/train-tokenizer-cli';
import { TextTokenizer } from '../src/text/tokenizer';
import {
  assignShards, checkpointFile, combineShards, majorityVote, readSisaManifest, runSisaPlan, shardDir, unlearnSisa,
  type SisaManifest,
} from '../src/methods/sisa';
import { unlearn } from '../src/methods/unlearn';
import { loadScorable } from '../src/eval/scorable';

const SLICE = path.join(__dirname, '../../test/fixtures/data/spamassassin-slice.jsonl');
const CLI = path.join(__dirname, '../src/cli/main.js');
const SHARDS = 3;
const SLICES = 3;

interface Fixture { root: string; dataset: Dataset; base: string; sisa: string; cliSeconds: number }
let cached: Promise<Fixture> | undefined;

/** A tiny masked-LM "pretrained" encoder (so each shard's head is new) and a SISA model trained from it by the CLI. */
function fixture(): Promise<Fixture> {
  cached ??= (async () => {
    const dataset = await loadDatasetFile(SLICE);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-sisa-'));
    const base = path.join(root, 'base');
    fs.mkdirSync(base);
    trainTokenizerToDir(base, { vocabSize: 600, texts: splitOf(dataset, 'train').map((e) => e.text), modelMaxLength: 64 });
    manualSeed(0);
    const encoder = createModel({
      vocabSize: TextTokenizer.fromDir(base).vocabSize, hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 64,
    }, { task: 'masked-lm' });
    savePretrained(encoder, base, { tokenizerDir: base, overwrite: true });
    encoder.dispose();
    const sisa = path.join(root, 'sisa');
    const started = Date.now();
    execFileSync(process.execPath, [
      CLI, 'finetune', '--model', base, '--data', SLICE, '--out', sisa, '--sisa-shards', String(SHARDS), '--slices', String(SLICES),
      '--epochs', '2', '--batch', '16', '--lr', '3e-3', '--max-length', '32', '--patience', '2', '--seed', '0',
    ], { stdio: 'pipe' });
    return { root, dataset, base, sisa, cliSeconds: (Date.now() - started) / 1000 };
  })();
  return cached;
}

/** sha256 of every file under `dir`, by relative path. */
function folderHashes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const name = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(name);
      else out.set(name, createHash('sha256').update(fs.readFileSync(path.join(dir, name))).digest('hex'));
    }
  };
  walk('');
  return out;
}

function hashOf(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A forget set of the given ids (through an ids: file, as a user would). */
function forgetSet(ds: Dataset, dir: string, ids: readonly string[]): ForgetSet {
  const file = path.join(dir, `forget-${createHash('sha256').update(ids.join()).digest('hex').slice(0, 8)}.txt`);
  fs.writeFileSync(file, `${ids.join('\n')}\n`);
  return resolveForgetSet(ds, `ids:${file}`);
}

interface Details { shards_retrained: number; shards_untouched: number; slices_retrained: number; first_affected_slice: (number | null)[]; per_shard: { stages_trained: number; stages_resumed: number }[] }

test('the shard/slice assignment is deterministic and partitions the train ids', async () => {
  const { dataset } = await fixture();
  const ids = splitOf(dataset, 'train').map((e) => e.id);
  const a = assignShards(ids, SHARDS, SLICES, 0);
  assert.deepEqual(assignShards([...ids].reverse(), SHARDS, SLICES, 0), a, 'input order does not matter');
  assert.notDeepEqual(assignShards(ids, SHARDS, SLICES, 1), a, 'the seed does');
  const flat = a.flat(2);
  assert.equal(flat.length, ids.length);
  assert.deepEqual([...flat].sort(), [...ids].sort(), 'every train id in exactly one slice');
  const shardSizes = a.map((s) => s.flat().length);
  assert.ok(Math.max(...shardSizes) - Math.min(...shardSizes) <= 1, `balanced shards: ${shardSizes.join(' ')}`);
  for (const s of a) assert.ok(s.every((slice) => slice.length >= Math.floor(s.flat().length / SLICES)), 'balanced slices');
  assert.throws(() => assignShards(ids.slice(0, 5), 3, 2, 0), /needs at least 6 train examples/);
  assert.throws(() => assignShards([...ids, ids[0]!], 3, 2, 0), /1 duplicate train ids/);
});

test('majority vote; ties go to the higher mean probability; logits are log mean softmax', () => {
  // 3 examples x 3 labels: a clear majority, a 1-1 tie with label 1 more probable, a full tie.
  const votes = [2, 1, 0, 1, 1, 0, 1, 1, 1];
  const probs = [0.2, 0.7, 0.1, 0.3, 0.5, 0.2, 0.3, 0.3, 0.3];
  assert.deepEqual(Array.from(majorityVote(votes, probs, 3)), [0, 1, 0]);
  assert.throws(() => majorityVote([1, 2], [0.5], 2), /do not make rows/);
  // Shards from hand-made logits (2 examples, 2 labels): shards A and B vote 0 weakly, C votes 1 strongly.
  const row = (a: number, b: number) => [a, b];
  const shard = (l: number[][], dim = 2) => ({ logits: Float32Array.from(l.flat()), pooled: Float32Array.from(l.flat().map((v, i) => v + i + 1)), dim });
  const s = combineShards([shard([row(0.2, 0), row(1, 0)]), shard([row(0.2, 0), row(1, 0)]), shard([row(0, 5), row(0, 5)])], 2, 2);
  assert.deepEqual(Array.from(s.votes), [2, 1, 2, 1]);
  assert.deepEqual(Array.from(s.predictions), [0, 0], 'two weak votes beat one confident one');
  const meanArgmax = s.logits[1]! > s.logits[0]! ? 1 : 0;
  assert.equal(meanArgmax, 1, 'while the mean softmax prefers label 1 (why the vote is reported separately)');
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(Math.exp(s.logits[2 * i]!) + Math.exp(s.logits[2 * i + 1]!) - 1) < 1e-5, 'exp(logits) sums to 1');
  assert.equal(s.dim, 6);
  for (let i = 0; i < 2; i++) {
    for (let k = 0; k < 3; k++) {
      const norm = Math.hypot(s.embeddings[i * 6 + 2 * k]!, s.embeddings[i * 6 + 2 * k + 1]!);
      assert.ok(Math.abs(norm - 1) < 1e-5, 'each shard\'s part of the embedding is unit length');
    }
  }
});

test('deepcut finetune --sisa-shards 3 --slices 3 writes a SISA folder with train.json', async (t) => {
  const { sisa, cliSeconds } = await fixture();
  t.diagnostic(`CLI SISA training: ${cliSeconds.toFixed(1)} s`);
  const m = readSisaManifest(sisa);
  assert.equal(m.shards, SHARDS);
  assert.equal(m.slices, SLICES);
  for (let k = 0; k < SHARDS; k++) {
    assert.ok(fs.existsSync(path.join(shardDir(sisa, k), 'model.safetensors')) && fs.existsSync(path.join(shardDir(sisa, k), 'tokenizer.json')));
    for (let j = 0; j < SLICES - 1; j++) assert.ok(fs.existsSync(checkpointFile(sisa, k, j)), `checkpoint shard ${k} slice ${j}`);
    assert.ok(m.stages[k]!.every((s, j) => s.examples === m.assignment[k]!.slice(0, j + 1).flat().length && s.steps > 0));
  }
  assert.ok(!fs.existsSync(path.join(sisa, 'sisa-progress.json')), 'the progress file goes once training is done');
  const record = JSON.parse(fs.readFileSync(path.join(sisa, 'train.json'), 'utf8')) as { sisa: { shards: number }; test: { accuracy: number }; hyperparameters: { max_length: number } };
  assert.equal(record.sisa.shards, SHARDS);
  assert.equal(record.hyperparameters.max_length, 32); // JSON records are snake_case
  assert.ok(record.test.accuracy >= 0 && record.test.accuracy <= 1);
  assert.throws(() => execFileSync(process.execPath, [CLI, 'finetune', '--data', SLICE, '--out', path.join(sisa, 'x'), '--slices', '2'], { stdio: 'pipe' }),
    (e: unknown) => /--slices applies to SISA training/.test(String((e as { stderr: Buffer }).stderr)));
});

test('SISA retrains only the shards that held forget samples (counted), from the slice checkpoint before the first hit', async (t) => {
  const { root, dataset, sisa } = await fixture();
  const m = readSisaManifest(sisa);
  const inputBefore = folderHashes(sisa);

  // (b, c, e) Two ids from shard 1, slice 1, through the shared driver unlearn().
  const forget1 = forgetSet(dataset, root, m.assignment[1]![1]!.slice(0, 2));
  const out1 = path.join(root, 'unlearn-one-shard');
  let started = Date.now();
  const record = await unlearn({ modelDir: sisa, dataset, forget: forget1, method: 'sisa', out: out1, seed: 0 });
  t.diagnostic(`one shard, slices 1..2: ${((Date.now() - started) / 1000).toFixed(1)} s, ${record.steps} steps`);
  const d1 = record.details as unknown as Details;
  assert.equal(d1.shards_retrained, 1);
  assert.equal(d1.shards_untouched, 2);
  assert.deepEqual(d1.first_affected_slice, [null, 1, null]);
  assert.deepEqual(d1.per_shard.map((s) => s.stages_trained), [0, 2, 0], 'shard 1 retrains stages 1 and 2 only');
  assert.equal(d1.slices_retrained, 2);
  const after1 = folderHashes(out1);
  for (const k of [0, 2]) {
    for (const [file, hash] of inputBefore) if (file.startsWith(`shard-${k}/`) || file.startsWith(`checkpoints/shard-${k}/`)) assert.equal(after1.get(file), hash, `${file} byte-identical`);
  }
  assert.equal(hashOf(checkpointFile(out1, 1, 0)), hashOf(checkpointFile(sisa, 1, 0)), 'the checkpoint before the first affected slice is reused');
  assert.notEqual(hashOf(checkpointFile(out1, 1, 1)), hashOf(checkpointFile(sisa, 1, 1)), 'slice 1 was retrained');
  assert.notEqual(hashOf(path.join(shardDir(out1, 1), 'model.safetensors')), hashOf(path.join(shardDir(sisa, 1), 'model.safetensors')));
  const m1 = readSisaManifest(out1);
  assert.ok(!m1.assignment.flat(2).some((id) => forget1.ids.includes(id)), 'the forget ids are gone from the assignment');
  assert.equal(m1.forgotten.length, 1);
  assert.deepEqual(m1.forgotten[0]!.shards_retrained, [1]);
  const written = JSON.parse(fs.readFileSync(path.join(out1, 'unlearn.json'), 'utf8')) as { method: string; details: Details };
  assert.equal(written.method, 'sisa');
  assert.equal(written.details.shards_retrained, 1);
  assert.ok(fs.existsSync(path.join(out1, 'forget.json')));
  assert.deepEqual(folderHashes(sisa), inputBefore, 'the input SISA folder is never modified');

  // The ensemble scores like one model (through the evaluation loader).
  const loaded = loadScorable(out1);
  assert.equal(loaded.kind, 'sisa');
  const examples = splitOf(dataset, 'test').slice(0, 5);
  const scores = loaded.scorable.score(examples, { maxLength: 32, batchSize: 8 });
  assert.equal(scores.logits.length, 5 * dataset.labels.length);
  assert.equal(scores.dim, 3 * 32);
  loaded.scorable.dispose();

  // Exactness: retraining shard 1 from the pretrained encoder on what is left gives the same bytes
  // as retraining from the slice-0 checkpoint (stages depend only on their start and their data).
  const scratch = path.join(root, 'scratch-shard-1');
  const { stages: _stages, ...plan } = m1;
  const examplesById = new Map(splitOf(dataset, 'train').map((e) => [e.id, e]));
  const full = runSisaPlan({
    out: scratch, manifest: plan, base: m1.base_model, examples: examplesById, validation: splitOf(dataset, 'validation'),
    from: [SLICES, 0, SLICES], source: { dir: out1, manifest: m1 }, resume: false, log: () => undefined,
  });
  assert.deepEqual(full.shards.map((s) => s.stagesTrained), [0, 3, 0]);
  assert.equal(hashOf(path.join(shardDir(scratch, 1), 'model.safetensors')), hashOf(path.join(shardDir(out1, 1), 'model.safetensors')),
    'unlearned shard == shard trained without the forget ids');

  // Two shards: one id in shard 0 slice 2 (1 stage), one in shard 2 slice 0 (all 3 stages, from the encoder).
  const forget2 = forgetSet(dataset, root, [m.assignment[0]![2]![0]!, m.assignment[2]![0]![0]!]);
  const out2 = path.join(root, 'unlearn-two-shards');
  started = Date.now();
  const record2 = await unlearn({ modelDir: sisa, dataset, forget: forget2, method: 'sisa', out: out2, seed: 0 });
  t.diagnostic(`two shards: ${((Date.now() - started) / 1000).toFixed(1)} s, ${record2.steps} steps`);
  const d2 = record2.details as unknown as Details;
  assert.equal(d2.shards_retrained, 2);
  assert.deepEqual(d2.first_affected_slice, [2, null, 0]);
  assert.deepEqual(d2.per_shard.map((s) => s.stages_trained), [1, 0, 3]);
  assert.equal(d2.slices_retrained, 4);
  const after2 = folderHashes(out2);
  for (const [file, hash] of inputBefore) if (file.startsWith('shard-1/') || file.startsWith('checkpoints/shard-1/')) assert.equal(after2.get(file), hash, `${file} byte-identical`);
});

test('an interrupted SISA unlearning run resumes from its last checkpoint and ends where an uninterrupted one does', async () => {
  const { root, dataset, sisa } = await fixture();
  const m: SisaManifest = readSisaManifest(sisa);
  const forget = forgetSet(dataset, root, m.assignment[1]![1]!.slice(0, 2)); // as in the test above: shard 1, stages 1..2
  const train = splitOf(dataset, 'train');
  const ids = new Set(forget.ids);
  const out = path.join(root, 'unlearn-resumed');
  let stage2 = false;
  const ctx = {
    modelDir: sisa, out, forget: train.filter((e) => ids.has(e.id)), retain: train.filter((e) => !ids.has(e.id)),
    validation: splitOf(dataset, 'validation'), labels: dataset.labels, hp: {}, seed: 0, resume: false,
    log: (line: string) => { if (line.startsWith('shard 1 stage 2')) stage2 = true; },
    onStep: () => { if (stage2) throw new Error('simulated kill'); },
  };
  assert.throws(() => unlearnSisa({ ...ctx, validation: ctx.validation.slice(1) }), /validation split differs/);
  assert.throws(() => unlearnSisa(ctx), /simulated kill/);
  assert.ok(fs.existsSync(checkpointFile(out, 1, 1)) && !fs.existsSync(path.join(out, 'sisa.json')), 'killed after stage 1');
  const resumed = unlearnSisa({ ...ctx, resume: true, log: () => undefined, onStep: undefined });
  assert.deepEqual(resumed.details.per_shard.map((s) => [s.stages_trained, s.stages_resumed]), [[0, 0], [1, 1], [0, 0]]);
  const reference = path.join(root, 'unlearn-one-shard');
  assert.equal(hashOf(path.join(shardDir(out, 1), 'model.safetensors')), hashOf(path.join(shardDir(reference, 1), 'model.safetensors')));
  assert.throws(() => unlearnSisa({ ...ctx, resume: true }), /holds a finished SISA model/);
  fs.rmSync(root, { recursive: true, force: true });
});
