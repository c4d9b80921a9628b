// Epoch-boundary checkpoints of a fine-tune (weights, best weights so far, optimiser state,
// history), so a killed fine-tune or retrain continues where it was instead of starting over.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { keep, type Optimizer, type Tensor } from '../engine';
import { loadSafetensors, loadStateDictFile, saveSafetensors } from '../io/safetensors';
import { writeDirAtomic, writeFileAtomic } from '../io/atomic';
import type { Module } from '../nn';
import type { EpochRecord, FinetuneOptions } from './finetune';
import type { LinearProbeRecord } from './linear-probe';

const SETTINGS = ['epochs', 'batchSize', 'lr', 'weightDecay', 'warmupFraction', 'maxLength', 'patience', 'seed', 'linearProbe'] as const;

interface Saved {
  settings: Record<string, number | boolean | undefined>;
  epoch: number;
  step: number;
  epochs: EpochRecord[];
  stopped: boolean;
  best: { epoch: number; accuracy: number };
  linearProbe?: LinearProbeRecord;
}

// linearProbe is stored as a boolean so checkpoints from before the option (no key) compare as false.
const settingsOf = (o: FinetuneOptions) => Object.fromEntries(SETTINGS.map((k) => [k, k === 'linearProbe' ? Boolean(o[k]) : o[k]]));

export function hasEpochCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'progress.json'));
}

export function saveEpochCheckpoint(
  dir: string, model: Module, optimizer: Optimizer, best: { epoch: number; accuracy: number; state: Map<string, Tensor> },
  at: { epoch: number; step: number; epochs: EpochRecord[]; stopped: boolean; options: FinetuneOptions; linearProbe?: LinearProbeRecord },
): void {
  const saved: Saved = {
    settings: settingsOf(at.options), epoch: at.epoch, step: at.step, epochs: at.epochs, stopped: at.stopped,
    best: { epoch: best.epoch, accuracy: best.accuracy }, linearProbe: at.linearProbe,
  };
  writeDirAtomic(dir, (staging) => {
    saveSafetensors(path.join(staging, 'model.safetensors'), model.stateDict());
    saveSafetensors(path.join(staging, 'best.safetensors'), best.state);
    writeFileAtomic(path.join(staging, 'optimizer.bin'), optimizer.stateBytes());
    writeFileAtomic(path.join(staging, 'progress.json'), `${JSON.stringify(saved)}\n`);
  });
}

export function loadEpochCheckpoint(dir: string, model: Module, optimizer: Optimizer, options: FinetuneOptions) {
  const saved = JSON.parse(fs.readFileSync(path.join(dir, 'progress.json'), 'utf8')) as Saved;
  const want = JSON.stringify(settingsOf(options));
  if (JSON.stringify({ ...saved.settings, linearProbe: Boolean(saved.settings.linearProbe) }) !== want) {
    throw new Error(`${dir}: checkpoint was written with other fine-tuning settings and cannot be resumed\n  checkpoint: ${JSON.stringify(saved.settings)}\n  this run:   ${want}`);
  }
  loadStateDictFile(model, path.join(dir, 'model.safetensors'));
  optimizer.loadState(path.join(dir, 'optimizer.bin'));
  const state = new Map([...loadSafetensors(path.join(dir, 'best.safetensors'))].map(([k, v]) => [k, keep(v)]));
  return { epoch: saved.epoch, step: saved.step, epochs: saved.epochs, stopped: saved.stopped, best: { ...saved.best, state }, linearProbe: saved.linearProbe };
}
