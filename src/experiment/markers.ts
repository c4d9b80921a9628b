// Whether a unit's work is already on disk. Each unit's last write is its marker (train.json,
// unlearn.json, metrics.json); a unit is finished when its marker exists, records the settings
// the config asks for, and is not older than the markers of the units it read (a dependency
// redone since makes it stale). A folder without a marker is an interrupted run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { camelKeys } from '../provenance/casing';
import { getMethod, resolveHyperparameters } from '../methods';
import { UNLEARN_RECORD } from '../methods/unlearn';
import { TRAIN_RECORD } from '../train/record';
import type { FinetuneSettings } from '../train/run';
import type { ExperimentConfig } from './config';
import type { Unit } from './plan';
import { REFERENCES_FILE, readReferencesManifest } from '../methods/target/manifest';

export const METRICS_FILE = 'metrics.json';
export const LATENT_FILE = 'latent.json';

export type UnitState =
  | { status: 'absent' }
  /** Started but not finished: resume it (fine-tune, unlearn) or redo it (eval). */
  | { status: 'partial' }
  /** Finished, but redone because the marker is older than a dependency's, or its settings changed (eval). */
  | { status: 'stale'; reason: string }
  | { status: 'done' };

/** A finished expensive unit whose recorded settings differ from the config: never silently discarded. */
export class SettingsConflictError extends Error {}

export function markerFile(unit: Unit): string {
  const file = { finetune: TRAIN_RECORD, references: REFERENCES_FILE, unlearn: UNLEARN_RECORD, eval: METRICS_FILE }[unit.kind];
  return path.join(unit.dir, file);
}

export function finetuneSettings(config: ExperimentConfig, seed: number): FinetuneSettings {
  return { ...config.finetune, seed };
}

export function unlearnHyperparameters(config: ExperimentConfig, method: string): Record<string, number> {
  return { ...resolveHyperparameters(getMethod(method), config.hp[method]) };
}

/** audit / relearn (comma-joined, so a resume compares them as strings) only when the config asks for them: older records still match. */
export interface EvalSettings {
  max_length: number; batch_size: number; retain_sample: number; seed: number;
  audit?: string; audit_references?: number; relearn?: string; relearn_lr?: number;
}

export function evalSettings(config: ExperimentConfig): EvalSettings {
  const e = config.eval;
  return {
    max_length: config.finetune.maxLength, batch_size: e.batchSize, retain_sample: e.retainSample, seed: e.seed,
    ...(e.audit ? { audit: e.audit.join(',') } : {}), ...(e.auditReferences !== undefined ? { audit_references: e.auditReferences } : {}),
    ...(e.relearn ? { relearn: e.relearn.join(',') } : {}), ...(e.relearnLr !== undefined ? { relearn_lr: e.relearnLr } : {}),
  };
}

/** What the finished unit must have recorded (dotted path → value); forget hash and data hash are checked by the caller. */
export function expectedRecord(config: ExperimentConfig, unit: Unit): Record<string, unknown> {
  switch (unit.kind) {
    case 'finetune':
      return {
        base_model: config.baseModel, split_seed: config.splitSeed, seed: unit.seed,
        ...prefixed('hyperparameters', finetuneSettings(config, unit.seed)),
      };
    case 'unlearn':
      return {
        // Only a loss-based method stops by a rule: a retrain made under another stop rule is the same retrain.
        method: unit.method, seed: unit.seed, ...(getMethod(unit.method).kind === 'loss' ? { stop: config.stop } : {}), max_length: config.finetune.maxLength,
        ...prefixed('hyperparameters', unlearnHyperparameters(config, unit.method)),
      };
    case 'references':
      return { k: unit.k, seed: unit.seed, split_seed: config.splitSeed };
    case 'eval':
      return { ...prefixed('settings', evalSettings(config)), 'data.split_seed': config.splitSeed };
  }
}

function prefixed(prefix: string, values: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`${prefix}.${k}`, v]));
}

function valueAt(record: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), record);
}

export function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read it as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * A record as the config's settings compare with it: hyper-parameters read in either casing
 * (snake_case since lineages, camelCase before), the base model by its absolute path.
 */
function comparable(record: unknown): unknown {
  if (record === null || typeof record !== 'object') return record;
  const r = record as Record<string, unknown>;
  const h = r.hyperparameters;
  return {
    ...r,
    ...(h !== null && typeof h === 'object' ? { hyperparameters: camelKeys(h) } : {}),
    ...(typeof r.base_model_absolute === 'string' ? { base_model: r.base_model_absolute } : {}),
  };
}

/** The first recorded setting that differs from `expected`, described, or undefined. */
export function settingsDifference(record: unknown, expected: Record<string, unknown>): string | undefined {
  const view = comparable(record);
  for (const [key, want] of Object.entries(expected)) {
    const got = valueAt(view, key);
    if (got !== want) return `'${key}' is ${JSON.stringify(got)}, the config asks for ${JSON.stringify(want)}`;
  }
  return undefined;
}

/**
 * The unit's state on disk. `extra` adds checks that need loaded data (the forget-set hash,
 * the data hash). A finished fine-tune or unlearning run with other settings throws
 * SettingsConflictError: hours of compute are not deleted on a guess.
 */
export function unitState(config: ExperimentConfig, unit: Unit, depMarkers: readonly string[], extra: Record<string, unknown> = {}): UnitState {
  const marker = markerFile(unit);
  if (!fs.existsSync(marker)) return fs.existsSync(unit.dir) && fs.readdirSync(unit.dir).length > 0 ? { status: 'partial' } : { status: 'absent' };
  if (unit.kind === 'eval' && !fs.existsSync(path.join(unit.dir, LATENT_FILE))) return { status: 'partial' };
  // references.json is written before the first reference trains: finished once every one is.
  if (unit.kind === 'references' && readReferencesManifest(unit.dir).partitions.some((p) => p.model_hash === undefined)) return { status: 'partial' };
  const difference = settingsDifference(readJson(marker), { ...expectedRecord(config, unit), ...extra });
  if (difference !== undefined) {
    if (unit.kind === 'eval') return { status: 'stale', reason: `settings changed: ${difference}` };
    throw new SettingsConflictError(`${marker}: this finished run was made with other settings: ${difference}. Delete ${unit.dir} to redo it, or run the experiment into another --out`);
  }
  const mtime = fs.statSync(marker).mtimeMs;
  const newer = depMarkers.find((dep) => fs.existsSync(dep) && fs.statSync(dep).mtimeMs > mtime);
  if (newer !== undefined) return { status: 'stale', reason: `${path.relative(config.out, newer)} was redone after it` };
  return { status: 'done' };
}
