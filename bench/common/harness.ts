// What bench/engine and bench/encoder share: the thread settings under test, one
// (implementation, setting) pair per process (thread settings are fixed when libtorch
// loads), and the alternating-rounds comparison of deepcut's step with PyTorch's.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ThreadSetting { name: string; torchThreads: number; env: Record<string, string> }

/** What bench/common/step.ts and torch_step.py print (one JSON line). */
export interface StepResult { impl: string; median_ms: number; times_ms: number[]; threads: number; loss: number; eval_loss?: number | null }

/** A fixed batch handed to both sides by file, so both train on the same token ids. */
export interface BatchFile { inputIds: number[][]; attentionMask: number[][]; tokenTypeIds: number[][]; labels: number[] }

export const repoRoot = path.resolve(__dirname, '../../..');
export const stepScript = path.join(repoRoot, 'dist/bench/common/step.js');
export const torchStepScript = path.join(repoRoot, 'bench/common/torch_step.py');
/** Debian's python3 with python3-torch (the python3 on PATH may lack torch). */
export const TORCH_PYTHON = '/usr/bin/python3';

/** Torch intra-op threads × OpenBLAS threads: the settings each side is tried at. */
export function threadSettings(cores = os.availableParallelism()): ThreadSetting[] {
  return [
    { name: '1 thread, BLAS 1', torchThreads: 1, env: { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE' } },
    { name: `1 thread, BLAS ${cores}`, torchThreads: 1, env: { OPENBLAS_NUM_THREADS: String(cores), OMP_WAIT_POLICY: 'PASSIVE' } },
    { name: `${cores} threads, BLAS ${cores}, PASSIVE`, torchThreads: cores, env: { OPENBLAS_NUM_THREADS: String(cores), OMP_WAIT_POLICY: 'PASSIVE' } },
  ];
}

/** Runs one step process and parses its last stdout line. */
export function runStep(cmd: string, args: string[], env: Record<string, string>): StepResult {
  const out = spawnSync(cmd, args, { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (out.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${out.stderr}`);
  const line = out.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as StepResult;
}

/** Whether the PyTorch side can run; says how to install it when not. */
export function torchAvailable(): boolean {
  let ok = fs.existsSync(TORCH_PYTHON);
  if (ok) {
    try {
      execFileSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    } catch {
      ok = false;
    }
  }
  if (!ok) console.log(`# python3-torch not installed for ${TORCH_PYTHON}: PyTorch side skipped (DEEPCUT_WITH_TORCH_REFERENCE=1 bash scripts/setup.sh)`);
  return ok;
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface SideBest { ms: number; setting: ThreadSetting; result: StepResult }
export interface Comparison { ours: SideBest; torch?: SideBest }

export interface CompareOptions {
  settings: readonly ThreadSetting[];
  rounds: number;
  /** Arguments for both step scripts (shape, steps, model, inputs, ...); --threads is added per setting. */
  args: readonly string[];
  withTorch: boolean;
  /** Column title for deepcut's side, e.g. 'engine'. */
  label: string;
  /** PyTorch step script; default bench/common/torch_step.py (BERT-shaped models). */
  torchScript?: string;
}

/**
 * These 2-core VMs have noisy neighbours: the same run varies by up to 1.8x. So each
 * setting runs `rounds` times, deepcut and PyTorch alternating, and each side is scored
 * by its best round (the least disturbed one); the median round is shown too.
 * Prints one table row per setting and returns each side's best round and setting.
 */
export function compareAlternating(o: CompareOptions): Comparison {
  console.log(`# ${o.rounds} rounds per setting, alternating; best round (median round) in ms`);
  console.log(`# setting                              ${`${o.label} best (median)`.padEnd(22)} torch best (median)`);
  const pick = (best: SideBest | undefined, setting: ThreadSetting, results: StepResult[]): SideBest | undefined => {
    for (const result of results) if (!best || result.median_ms < best.ms) best = { ms: result.median_ms, setting, result };
    return best;
  };
  let ours: SideBest | undefined;
  let torch: SideBest | undefined;
  for (const s of o.settings) {
    const threads = ['--threads', String(s.torchThreads)];
    const oursRounds: StepResult[] = [];
    const torchRounds: StepResult[] = [];
    for (let r = 0; r < o.rounds; r++) {
      // DEEPCUT_THREADS keeps the engine's own default from overriding the setting under test.
      oursRounds.push(runStep(process.execPath, [stepScript, ...o.args, ...threads], { ...s.env, DEEPCUT_THREADS: String(s.torchThreads) }));
      if (o.withTorch) torchRounds.push(runStep(TORCH_PYTHON, [o.torchScript ?? torchStepScript, ...o.args, ...threads], s.env));
    }
    ours = pick(ours, s, oursRounds);
    torch = pick(torch, s, torchRounds);
    const fmt = (rs: StepResult[]) => {
      const xs = rs.map((x) => x.median_ms);
      return xs.length ? `${Math.min(...xs).toFixed(1).padStart(8)} (${median(xs).toFixed(1).padStart(7)})` : '       -          ';
    };
    console.log(`# ${s.name.padEnd(36)} ${fmt(oursRounds)}     ${fmt(torchRounds)}`);
  }
  return torch ? { ours: ours!, torch } : { ours: ours! };
}
