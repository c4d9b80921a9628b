// bench/engine: deepcut's training step vs the same step in PyTorch (same
// libtorch), each at its best thread setting. Thread settings are fixed when
// libtorch loads, so every (implementation, setting) pair runs in its own process.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Setting { name: string; torchThreads: number; env: Record<string, string> }
interface Result { impl: string; median_ms: number; times_ms: number[] }

const root = path.resolve(__dirname, '../../..');
const cores = os.availableParallelism();
const shape = ['--vocab', '8000', '--hidden', '256', '--layers', '4', '--heads', '4', '--ffn', '1024', '--seq', '128', '--batch', '16', '--classes', '2', '--steps', process.env.BENCH_STEPS ?? '10', '--warmup', '3'];

const settings: Setting[] = [
  { name: '1 thread, BLAS 1', torchThreads: 1, env: { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE' } },
  { name: `1 thread, BLAS ${cores}`, torchThreads: 1, env: { OPENBLAS_NUM_THREADS: String(cores), OMP_WAIT_POLICY: 'PASSIVE' } },
  { name: `${cores} threads, BLAS ${cores}, PASSIVE`, torchThreads: cores, env: { OPENBLAS_NUM_THREADS: String(cores), OMP_WAIT_POLICY: 'PASSIVE' } },
];

function run(cmd: string, args: string[], env: Record<string, string>): Result {
  const out = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${out.stderr}`);
  const line = out.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Result;
}

function hasTorch(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const stepScript = path.join(root, 'dist/bench/engine/step.js');
const torchScript = path.join(root, 'bench/engine/torch_step.py');
const withTorch = fs.existsSync('/usr/bin/python3') && hasTorch();
if (!withTorch) console.log('# python3-torch not installed for /usr/bin/python3: PyTorch side skipped (DEEPCUT_WITH_TORCH_REFERENCE=1 bash scripts/setup.sh)');

console.log(`# BERT-style step: vocab 8000, hidden 256, 4 layers, 4 heads, FFN 1024, seq 128, batch 16, AdamW; median of ${process.env.BENCH_STEPS ?? 10} steps after 3 warm-up`);
// This 2-core VM has noisy neighbours: the same run varies by up to 1.8x. So each
// setting runs ROUNDS times, engine and PyTorch alternating, and each side is
// scored by its best round (the least disturbed one); the median round is shown too.
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
console.log(`# ${rounds} rounds per setting, alternating; best round (median round) in ms`);
console.log('# setting                              engine best (median)   torch best (median)');
let bestEngine = Infinity;
let bestTorch = Infinity;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const s of settings) {
  const threads = ['--threads', String(s.torchThreads)];
  const engineRounds: number[] = [];
  const torchRounds: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // DEEPCUT_THREADS keeps the engine's own default from overriding the setting under test.
    engineRounds.push(run(process.execPath, [stepScript, ...shape, ...threads], { ...s.env, DEEPCUT_THREADS: String(s.torchThreads) }).median_ms);
    if (withTorch) torchRounds.push(run('/usr/bin/python3', [torchScript, ...shape, ...threads], s.env).median_ms);
  }
  bestEngine = Math.min(bestEngine, ...engineRounds);
  bestTorch = Math.min(bestTorch, ...torchRounds);
  const fmt = (xs: number[]) => (xs.length ? `${Math.min(...xs).toFixed(1).padStart(8)} (${median(xs).toFixed(1).padStart(7)})` : '       -          ');
  console.log(`# ${s.name.padEnd(36)} ${fmt(engineRounds)}     ${fmt(torchRounds)}`);
}
console.log(`engine_step_ms=${bestEngine.toFixed(1)}`);
if (withTorch) {
  console.log(`torch_step_ms=${bestTorch.toFixed(1)}`);
  console.log(`engine_vs_torch=${(bestEngine / bestTorch).toFixed(3)}`);
}
