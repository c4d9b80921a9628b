// Resumable state of an unlearning run: weights, extra modules, optimiser state and the
// run's history, written to a staging folder and renamed into place (never half-written).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadStateDictFile, saveSafetensors } from '../io/safetensors';
import { writeDirAtomic, writeFileAtomic } from '../io/atomic';
import type { Optimizer } from '../engine';
import type { Module } from '../nn';

export interface RunIdentity {
  method: string;
  hyperparameters: Record<string, number>;
  seed: number;
  forgetHash: string;
  stop: string;
}

export interface Progress<H> {
  identity: RunIdentity;
  /** Steps completed. */
  step: number;
  history: H;
}

export function saveCheckpoint<H>(dir: string, model: Module, modules: Record<string, Module>, optimizer: Optimizer, progress: Progress<H>): void {
  writeDirAtomic(dir, (staging) => {
    saveSafetensors(path.join(staging, 'model.safetensors'), model.stateDict());
    for (const [name, m] of Object.entries(modules)) saveSafetensors(path.join(staging, `module-${name}.safetensors`), m.stateDict());
    writeFileAtomic(path.join(staging, 'optimizer.bin'), optimizer.stateBytes());
    writeFileAtomic(path.join(staging, 'progress.json'), `${JSON.stringify(progress)}\n`);
  });
}

export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'progress.json'));
}

/** Restores a checkpoint; refuses one written by a different run (method, hyper-parameters, seed, forget set). */
export function loadCheckpoint<H>(dir: string, model: Module, modules: Record<string, Module>, optimizer: Optimizer, identity: RunIdentity): Progress<H> {
  const progress = JSON.parse(fs.readFileSync(path.join(dir, 'progress.json'), 'utf8')) as Progress<H>;
  const want = JSON.stringify(identity);
  const got = JSON.stringify(progress.identity);
  if (want !== got) throw new Error(`${dir}: checkpoint is from a different run and cannot be resumed\n  checkpoint: ${got}\n  this run:   ${want}`);
  loadStateDictFile(model, path.join(dir, 'model.safetensors'));
  for (const [name, m] of Object.entries(modules)) loadStateDictFile(m, path.join(dir, `module-${name}.safetensors`));
  optimizer.loadState(path.join(dir, 'optimizer.bin'));
  return progress;
}
