// bench/distributed/allreduce: what data-parallel fine-tuning's gradient all-reduce costs per
// training step, for the default encoder (models/use-lite as a 2-label classifier), batch 16 of
// 128 tokens (seeded random ids past the reserved ones, no padding), AdamW, dropout on:
//   1 rank x 1 thread, 1 rank x 2 threads (one process, the whole batch), and
//   2 ranks x 1 thread (Gloo on loopback, 8 rows each, the gradients summed in 4 MB buckets).
// Prints each setting's step time, the all-reduce's share of the 2-rank step (ms and %; it
// includes waiting for the slower rank) and the ratios. Each setting runs in its own processes
// (threads are fixed when libtorch loads).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AdamW, F, ProcessGroup, clipGradNormOnDevice, manualSeed, randint, scope, tensor, type Tensor } from '../../src/engine';
import { loadPretrained, type SequenceClassifier } from '../../src/model';
import type { Module } from '../../src/nn';
import { decayGroups } from '../../src/train/param-groups';
import { shardRange } from '../../src/train/distributed';
import { freeLoopbackPort } from '../../src/cli/launch';

const HELP = `usage: node dist/bench/distributed/allreduce.js [--model DIR] [--batch N] [--seq N] [--steps N] [--warmup N]
  --model DIR   encoder folder (default models/use-lite)
  --batch N     global batch (default 16)     --seq N     tokens per row (default 128)
  --steps N     timed steps (default 8)       --warmup N  untimed steps first (default 2)`;

interface Timing { stepMs: number; allReduceMs: number }

function worker(flags: Record<string, string>): void {
  const rank = Number(flags.rank);
  const world = Number(flags.world);
  const batch = Number(flags.batch);
  const seq = Number(flags.seq);
  const { model } = loadPretrained(flags.model!, { labels: ['a', 'b'] });
  const classifier = model as SequenceClassifier & Module;
  const group = world > 1 ? ProcessGroup.create({ rank, worldSize: world, master: flags.master!, timeoutMs: 120_000 }) : undefined;
  const optimizer = new AdamW(decayGroups(classifier), { lr: 1e-4, weightDecay: 0.01 });
  const params = classifier.trainableParameters();
  const { start, end } = shardRange(batch, rank, world);
  const rows = end - start;
  const vocab = classifier.config.vocabSize;
  classifier.train();
  const times: Timing[] = [];
  for (let step = 0; step < Number(flags.warmup) + Number(flags.steps); step++) {
    scope(() => {
      manualSeed(1000 + step); // the same global batch on every rank; each takes its rows
      const ids = randint(6, vocab, [batch, seq]).narrow(0, start, rows);
      const labels = randint(0, 2, [batch]).narrow(0, start, rows);
      const mask = tensor(new BigInt64Array(rows * seq).fill(1n), { shape: [rows, seq], dtype: 'int64' });
      const t0 = performance.now();
      optimizer.zeroGrad();
      const loss: Tensor = F.crossEntropy(classifier.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: mask.mul(0) }).logits, labels).mul(rows / batch);
      loss.backward();
      const t1 = performance.now();
      group?.allReduceGradients(params, [loss.detach()]);
      const t2 = performance.now();
      clipGradNormOnDevice(params, 1.0);
      optimizer.step();
      loss.item();
      const t3 = performance.now();
      if (step >= Number(flags.warmup)) times.push({ stepMs: t3 - t0, allReduceMs: t2 - t1 });
    });
  }
  group?.destroy();
  const mean = (f: (t: Timing) => number) => times.reduce((s, t) => s + f(t), 0) / times.length;
  if (rank === 0) process.stdout.write(`${JSON.stringify({ stepMs: mean((t) => t.stepMs), allReduceMs: mean((t) => t.allReduceMs) })}\n`);
}

function runSetting(world: number, threads: number, flags: Record<string, string>): Promise<Timing> {
  return new Promise((resolve, reject) => {
    void freeLoopbackPort().then((port) => {
      let out = '';
      let pending = world;
      for (let rank = 0; rank < world; rank++) {
        const args = [__filename, '--worker', ...Object.entries({ ...flags, rank: String(rank), world: String(world), master: `127.0.0.1:${port}` }).flatMap(([k, v]) => [`--${k}`, v])];
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DEEPCUT_THREADS: String(threads) } });
        child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
        child.on('exit', (code) => {
          if (code !== 0) reject(new Error(`${world} rank(s) x ${threads} thread(s): rank ${rank} exited with ${code}`));
          else if (--pending === 0) resolve(JSON.parse(out.trim()) as Timing);
        });
      }
    }, reject);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      worker: { type: 'boolean' }, help: { type: 'boolean' }, model: { type: 'string', default: 'models/use-lite' },
      batch: { type: 'string', default: '16' }, seq: { type: 'string', default: '128' }, steps: { type: 'string', default: '8' }, warmup: { type: 'string', default: '2' },
      rank: { type: 'string' }, world: { type: 'string' }, master: { type: 'string' },
    },
  });
  if (values.help) { console.log(HELP); return; }
  const flags = Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  if (values.worker) { worker(flags); return; }
  flags.model = path.resolve(flags.model!);
  const shared = { model: flags.model, batch: flags.batch!, seq: flags.seq!, steps: flags.steps!, warmup: flags.warmup! };
  console.log(`bench/distributed/allreduce: ${path.basename(flags.model)}, batch ${flags.batch} x ${flags.seq} tokens, ${flags.steps} timed steps`);
  const one1 = await runSetting(1, 1, shared);
  console.log(`1 rank  x 1 thread : step ${one1.stepMs.toFixed(0)} ms`);
  const one2 = await runSetting(1, 2, shared);
  console.log(`1 rank  x 2 threads: step ${one2.stepMs.toFixed(0)} ms`);
  const two = await runSetting(2, 1, shared);
  const pct = (100 * two.allReduceMs) / two.stepMs;
  console.log(`2 ranks x 1 thread : step ${two.stepMs.toFixed(0)} ms, of it the gradient all-reduce ${two.allReduceMs.toFixed(1)} ms (${pct.toFixed(1)}%, waiting for the slower rank included)`);
  console.log(`allreduce_ms ${two.allReduceMs.toFixed(1)}`);
  console.log(`allreduce_pct_of_step ${pct.toFixed(1)}`);
  console.log(`speedup_2ranks_vs_1rank_1thread ${(one1.stepMs / two.stepMs).toFixed(2)}`);
  console.log(`speedup_2ranks_vs_1rank_2threads ${(one2.stepMs / two.stepMs).toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(`bench/distributed/allreduce: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
