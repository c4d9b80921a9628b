// Resumable state of an unlearning run: weights, extra modules, optimiser state and the
// run's history, written to a staging folder and renamed into place (never half-written).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadStateDictFile, saveSafetensors } from '../io/safetensors';
import { writeDirAtomic, writeFileAtomic } from '../io/atomic';
import type { Optimizer } from '../engine';
import type { Module } from '../nn';
import type { RunSnapshot } from './snapshot';

export interface RunIdentity {
  method: string;
  hyperparameters: Record<string, number>;
  seed: number;
  forgetHash: string;
  stop: string;
  /** Target rules: the target the run aims at (a resumed run must aim at the same one). */
  target?: { accuracy: number; loss: number; source: string };
}

export interface Progress<H> {
  identity: RunIdentity;
  /** Steps completed. */
  step: number;
  history: H;
}

/**
 * `snapshots`: the states a rewinding run may still return to or replay from (the previous
 * check, the check closest to the target), written beside the current state so a resumed run
 * holds exactly what an uninterrupted one would.
 */
export function saveCheckpoint<H>(
  dir: string, model: Module, modules: Record<string, Module>, optimizer: Optimizer, progress: Progress<H>, snapshots: readonly RunSnapshot[] = [],
): void {
  writeDirAtomic(dir, (staging) => {
    saveSafetensors(path.join(staging, 'model.safetensors'), model.stateDict());
    for (const [name, m] of Object.entries(modules)) saveSafetensors(path.join(staging, `module-${name}.safetensors`), m.stateDict());
    writeFileAtomic(path.join(staging, 'optimizer.bin'), optimizer.stateBytes());
    const written = new Set<number>();
    for (const s of snapshots) {
      if (written.has(s.step)) continue; // the previous check may also be the closest one
      written.add(s.step);
      const at = path.join(staging, snapshotDir(s.step));
      writeFileAtomic(path.join(at, 'model.safetensors'), s.model);
      for (const [name, bytes] of Object.entries(s.modules)) writeFileAtomic(path.join(at, `module-${name}.safetensors`), bytes);
      if (s.optimizer) writeFileAtomic(path.join(at, 'optimizer.bin'), s.optimizer);
    }
    writeFileAtomic(path.join(staging, 'progress.json'), `${JSON.stringify(progress)}\n`);
  });
}

function snapshotDir(step: number): string {
  return `snapshot-${step}`;
}

/** A snapshot saveCheckpoint wrote (the optimiser state only when it was kept). */
export function loadSnapshot(dir: string, step: number): RunSnapshot {
  const at = path.join(dir, snapshotDir(step));
  const file = path.join(at, 'model.safetensors');
  if (!fs.existsSync(file)) throw new Error(`${dir}: the checkpoint's progress.json names a snapshot at step ${step}, but ${file} is missing (delete the checkpoint folder to start over)`);
  const modules: Record<string, Buffer> = {};
  for (const name of fs.readdirSync(at)) {
    const m = /^module-(.+)\.safetensors$/.exec(name);
    if (m) modules[m[1]!] = fs.readFileSync(path.join(at, name));
  }
  const optimizer = path.join(at, 'optimizer.bin');
  return { step, model: fs.readFileSync(file), modules, ...(fs.existsSync(optimizer) ? { optimizer: fs.readFileSync(optimizer) } : {}) };
}

export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'progress.json'));
}

/** Restores a checkpoint; refuses one written by a different run (method, hyper-parameters, seed, forget set). */
export function loadCheckpoint<H>(dir: string, model: Module, modules: Record<string, Module>, optimizer: Optimizer, identity: RunIdentity): Progress<H> {
  const progress = JSON.parse(fs.readFileSync(path.join(dir, 'progress.json'), 'utf8')) as Progress<H>;
  const want = JSON.stringify(identity);
  const got = JSON.stringify(progress.identity);
  if (want !== got) throw new Error(`${dir}: checkpoint is from a different run and cannot be resumed (delete ${path.dirname(dir)} to start this run over)\n  checkpoint: ${got}\n  this run:   ${want}`);
  loadStateDictFile(model, path.join(dir, 'model.safetensors'));
  for (const [name, m] of Object.entries(modules)) loadStateDictFile(m, path.join(dir, `module-${name}.safetensors`));
  optimizer.loadState(path.join(dir, 'optimizer.bin'));
  return progress;
}
