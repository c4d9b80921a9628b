// Data-parallel fine-tuning on c10d/Gloo, all on loopback. This file is also the ranks' program:
// run with DP_TEST_ROLE set (and --rank/--world-size/--master from the launcher), it is a worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { manualSeed, tensor, ProcessGroup, parseMaster, noGrad, scope, type Tensor } from '../src/engine';
import { createModel, type UnitClassifier } from '../src/model';
import type { Module } from '../src/nn';
import { loadDatasetFile, splitOf } from '../src/data';
import { trainTokenizerToDir } from '../src/text/train-tokenizer-cli';
import { TextTokenizer } from '../src/text/tokenizer';
import { finetune, type FinetuneOptions } from '../src/train/finetune';
import { DataParallel, shardRange } from '../src/train/distributed';
import { launchLocalRanks, freeLoopbackPort, withoutRankFlags } from '../src/cli/launch';
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors';
import { makeTinyBase } from './helpers/tiny-run';

const SLICE = path.join(__dirname, '../../test/fixtures/data/spamassassin-slice.jsonl');
// Tagged sentences of different lengths: a rank's share of a batch holds a different share of its words.
const TAGGED_SLICE = path.join(__dirname, '../../test/fixtures/data/brown-pos-slice.jsonl');
const SELF = __filename;
// 37 rows in batches of 8: the last batch (5 rows) splits 3/2 between two ranks.
const TRAIN_ROWS = 37;
const OPTIONS: FinetuneOptions = { epochs: 2, batchSize: 8, lr: 3e-3, weightDecay: 0.01, warmupFraction: 0.1, maxLength: 32, patience: 5, seed: 3, linearProbe: false };

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The same tiny encoder in every process (dropout off); `perturb` moves its weights so a broadcast must undo it. */
function tinyModel(tokenizer: TextTokenizer, labels: readonly string[], perturb = false, tagger = false): UnitClassifier & Module {
  manualSeed(0);
  const model = createModel({
    vocabSize: tokenizer.vocabSize, hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 32, labels: [...labels],
    hiddenDropout: 0, attentionDropout: 0, classifierDropout: 0,
  }, tagger ? { task: 'token-classification' } : undefined) as UnitClassifier & Module;
  if (perturb) noGrad(() => { for (const p of model.parameters()) scope(() => { p.copy_(p.add(0.5)); }); });
  return model;
}

/** A worker: fine-tunes (data-parallel or not) and writes the weights, or runs the collectives' checks. */
async function worker(role: string): Promise<void> {
  const rank = Number(flag('--rank') ?? 0);
  const worldSize = Number(flag('--world-size') ?? 1);
  const master = flag('--master');
  const out = process.env.DP_TEST_OUT!;
  if (role === 'train') {
    const tagger = process.env.DP_TEST_TAGGER === '1';
    const ds = await loadDatasetFile(tagger ? TAGGED_SLICE : SLICE);
    const tokenizer = TextTokenizer.fromDir(process.env.DP_TEST_TOKENIZER!);
    const model = tinyModel(tokenizer, ds.labels, rank !== 0, tagger);
    const group = master ? ProcessGroup.create({ rank, worldSize, master, timeoutMs: 60_000 }) : undefined;
    const result = finetune(model, tokenizer, splitOf(ds, 'train').slice(0, TRAIN_ROWS), splitOf(ds, 'validation'), {
      ...OPTIONS, ...(group ? { distributed: new DataParallel(group) } : {}),
    });
    const losses = result.epochs.map((e) => e.trainLoss);
    saveSafetensors(path.join(out, `weights-${master ? 'dp' : 'single'}-${rank}.safetensors`), model.stateDict());
    fs.writeFileSync(path.join(out, `record-${master ? 'dp' : 'single'}-${rank}.json`), JSON.stringify({ losses, steps: result.steps, best: result.bestEpoch }));
    group?.destroy();
    return;
  }
  const group = ProcessGroup.create({ rank, worldSize, master: master!, timeoutMs: 20_000, bucketBytes: 16 });
  if (role === 'collectives') {
    const a = tensor([rank + 1, 10 * (rank + 1)]);
    const b = tensor([[rank, 1], [2, 3]]);
    const ids = tensor([rank], { dtype: 'int64' });
    group.allReduce([a, b, ids], 'sum');
    const avg = tensor([rank * 2, 4]);
    group.allReduce([avg], 'avg');
    const w = tensor([rank * 7 + 1, rank]).requiresGrad_();
    group.broadcast([w], 0);
    // Gradients: p has one on every rank, q only on rank 0 (counts as zeros elsewhere), r on none.
    const p = tensor([1, 2]).requiresGrad_();
    const q = tensor([3]).requiresGrad_();
    const r = tensor([4]).requiresGrad_();
    p.mul(rank + 1).sum().backward();
    if (rank === 0) q.mul(5).sum().backward();
    const extra = tensor([rank + 0.5]);
    group.allReduceGradients([p, q, r], [extra]);
    group.barrier();
    const arr = (t: Tensor | undefined) => (t ? Array.from(t.toArray(), Number) : null);
    fs.writeFileSync(path.join(out, `collectives-${rank}.json`), JSON.stringify({
      a: arr(a), b: arr(b), ids: arr(ids), avg: arr(avg), w: arr(w), p: arr(p.grad), q: arr(q.grad), r: arr(r.grad), extra: arr(extra),
    }));
  } else if (role === 'die') {
    group.barrier();
    if (rank === 1) process.kill(process.pid, 'SIGKILL');
    fs.writeFileSync(path.join(out, `blocked-${rank}.txt`), 'entering all-reduce\n');
    try {
      group.allReduce([tensor([1])]);
    } catch (err) {
      // Through a temporary name: the launcher may stop this rank mid-write (an empty file failed CI once).
      const file = path.join(out, `error-${rank}.txt`);
      fs.writeFileSync(`${file}.tmp`, (err as Error).message);
      fs.renameSync(`${file}.tmp`, file);
      throw err;
    }
  }
  group.destroy();
}

function run(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, ...args], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEEPCUT_THREADS: '1', ...env } });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

if (process.env.DP_TEST_ROLE) {
  worker(process.env.DP_TEST_ROLE).catch((err: unknown) => {
    process.stderr.write(`worker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
} else {
  test('shards split a global batch as np.array_split does, the last short batch included', () => {
    assert.deepEqual([0, 1].map((r) => shardRange(5, r, 2)), [{ start: 0, end: 3 }, { start: 3, end: 5 }]);
    assert.deepEqual([0, 1, 2].map((r) => shardRange(2, r, 3)), [{ start: 0, end: 1 }, { start: 1, end: 2 }, { start: 2, end: 2 }]);
    assert.deepEqual(parseMaster('10.0.0.2:29500'), { host: '10.0.0.2', port: 29500 });
    assert.deepEqual(parseMaster('[::1]:8'), { host: '::1', port: 8 });
    assert.throws(() => parseMaster('host'), /HOST:PORT/);
    assert.deepEqual(withoutRankFlags(['finetune', '--nproc', '2', '--data', 'x', '--rank=1']), ['finetune', '--data', 'x']);
  });

  for (const tagger of [false, true]) {
    test(tagger
      ? '2 data-parallel ranks of a tagger reach the weights of 1 process: each rank\'s word-mean loss is weighted by its share of the batch\'s words'
      : '2 data-parallel ranks x half batch reach the weights of 1 process x the whole batch', async (t) => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-dp-'));
      const ds = await loadDatasetFile(tagger ? TAGGED_SLICE : SLICE);
      trainTokenizerToDir(out, { vocabSize: 400, texts: splitOf(ds, 'train').map((e) => e.text), modelMaxLength: 32 });
      const env = { DP_TEST_ROLE: 'train', DP_TEST_OUT: out, DP_TEST_TOKENIZER: out, DP_TEST_TAGGER: tagger ? '1' : '0' };
      const master = `127.0.0.1:${await freeLoopbackPort()}`;
      const codes = await Promise.all([
        run([], env),
        run(['--rank', '0', '--world-size', '2', '--master', master], env),
        run(['--rank', '1', '--world-size', '2', '--master', master], env),
      ]);
      assert.deepEqual(codes, [0, 0, 0]);
      const single = loadSafetensors(path.join(out, 'weights-single-0.safetensors'));
      const k = JSON.parse(fs.readFileSync(path.join(out, 'record-single-0.json'), 'utf8')) as { losses: number[]; steps: number; best: number };
      assert.equal(k.steps, 10, '2 epochs of ceil(37 / 8) steps');
      for (const rank of [0, 1]) {
        const dp = loadSafetensors(path.join(out, `weights-dp-${rank}.safetensors`));
        let worst = 0;
        for (const [name, t] of single) {
          const a = t.toArray();
          const b = dp.get(name)!.toArray();
          for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(Number(a[i]) - Number(b[i])));
        }
        assert.ok(worst < 1e-5, `rank ${rank}: largest weight difference ${worst} after ${k.steps} steps`);
        t.diagnostic(`rank ${rank}: largest weight difference ${worst.toExponential(2)} after ${k.steps} steps`);
        const rec = JSON.parse(fs.readFileSync(path.join(out, `record-dp-${rank}.json`), 'utf8')) as typeof k;
        assert.equal(rec.steps, k.steps);
        assert.equal(rec.best, k.best, 'the same epoch kept (validation is rank 0\'s on both ranks)');
        rec.losses.forEach((l, i) => assert.ok(Math.abs(l - k.losses[i]!) < 1e-5, `epoch ${i + 1} loss ${l} vs ${k.losses[i]}`));
      }
      fs.rmSync(out, { recursive: true });
    });
  }

  test('deepcut finetune --nproc 2: rank 0 writes the folder and train.json, the other rank nothing', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-dp-cli-'));
    makeTinyBase(path.join(root, 'base'), await loadDatasetFile(SLICE)).model.dispose();
    const cli = path.join(__dirname, '../src/cli/main.js');
    const out = path.join(root, 'out');
    const code = await new Promise<number>((resolve) => {
      spawn(process.execPath, [cli, 'finetune', '--model', path.join(root, 'base'), '--data', SLICE, '--out', out, '--epochs', '1', '--max-length', '32', '--no-linear-probe', '--nproc', '2'], { stdio: 'ignore' })
        .on('exit', (c) => resolve(c ?? 1));
    });
    assert.equal(code, 0);
    const record = JSON.parse(fs.readFileSync(path.join(out, 'train.json'), 'utf8')) as { steps: number; hyperparameters: Record<string, unknown> };
    assert.equal(record.steps, Math.ceil(199 / 16), 'one epoch of global batches');
    assert.ok(!('distributed' in record.hyperparameters), 'the process group is not a hyper-parameter');
    fs.rmSync(root, { recursive: true });
  });

  test('allReduce (sum, avg), broadcast, gradient all-reduce and barrier across 2 ranks', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-dp-c-'));
    const master = `127.0.0.1:${await freeLoopbackPort()}`;
    const env = { DP_TEST_ROLE: 'collectives', DP_TEST_OUT: out };
    const codes = await Promise.all([0, 1].map((r) => run(['--rank', String(r), '--world-size', '2', '--master', master], env)));
    assert.deepEqual(codes, [0, 0]);
    for (const rank of [0, 1]) {
      const got = JSON.parse(fs.readFileSync(path.join(out, `collectives-${rank}.json`), 'utf8')) as Record<string, number[] | null>;
      assert.deepEqual(got, {
        a: [3, 30], b: [1, 2, 4, 6], ids: [1], avg: [1, 4], w: [1, 0],
        p: [3, 3], q: [5], r: null, extra: [2],
      }, `rank ${rank}`);
    }
    fs.rmSync(out, { recursive: true });
  });

  test('an unreachable master fails within the timeout, naming the address', async () => {
    const port = await freeLoopbackPort();
    const started = Date.now();
    assert.throws(() => ProcessGroup.create({ rank: 1, worldSize: 2, master: `127.0.0.1:${port}`, timeoutMs: 1500 }), (err: Error) => {
      assert.match(err.message, new RegExp(`rank 1 of 2: cannot reach the master 127\\.0\\.0\\.1:${port} \\(timeout 1\\.5 s\\)`));
      return true;
    });
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds >= 1 && seconds < 10, `gave up after ${seconds} s`);
  });

  test('a rank killed mid-training makes the launcher stop the others and name it', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-dp-kill-'));
    process.env.DP_TEST_ROLE = 'die';
    process.env.DP_TEST_OUT = out;
    try {
      await assert.rejects(launchLocalRanks({ nproc: 2, args: [], script: SELF, graceMs: 20_000 }), /^Error: rank 1 of 2 was killed by SIGKILL; the other ranks were stopped$/);
    } finally {
      delete process.env.DP_TEST_ROLE;
      delete process.env.DP_TEST_OUT;
    }
    // Rank 0 failed in its all-reduce with the collective's error, or the launcher stopped it first.
    const error = path.join(out, 'error-0.txt');
    if (fs.existsSync(error)) assert.match(fs.readFileSync(error, 'utf8'), /^rank 0 of 2: all-reduce failed \(another rank stopped/);
    fs.rmSync(out, { recursive: true });
  });
}
