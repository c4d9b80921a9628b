// Reads a cell's finished work back from disk (metrics.json, latent.json, train.json,
// unlearn.json), so results tables and reports are rebuilt from files alone: after a resume,
// after a crash, or from another machine's run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Latent2d } from '../eval/evaluate';
import type { RecordedStopping } from '../report';
import { UNLEARN_RECORD, type UnlearnRecord } from '../methods/unlearn';
import { TRAIN_RECORD } from '../train/record';
import type { FinetuneRecord } from '../train/run';
import { REFERENCE_METHOD } from './config';
import type { MetricsRecord } from './execute';
import { LATENT_FILE, METRICS_FILE, readJson } from './markers';
import { ORIGINAL, type Cell } from './plan';

export interface ModelResult {
  /** ORIGINAL or a method name. */
  name: string;
  metrics: MetricsRecord;
  latent?: Latent2d;
  /** Time and steps to produce the model: the fine-tune for the original, the unlearning run otherwise. */
  wallSeconds: number;
  steps: number;
  /** unlearn.json's stopped_by ('rule' | 'budget'); undefined for the original and methods without a stopping rule. */
  stoppedBy?: string;
  losses?: UnlearnRecord['losses'];
  /** Loss-based methods: the stopping rule, its checks, target and the returned check (unlearn.json). */
  stopping?: RecordedStopping;
}

export interface CellResults {
  cell: Cell;
  /** In display order: original, the methods, retrain; models without a finished evaluation are left out. */
  models: ModelResult[];
  /** Models whose evaluation is missing (a failed or skipped unit). */
  missing: string[];
}

function readIfPresent<T>(file: string): T | undefined {
  return fs.existsSync(file) ? (readJson(file) as T) : undefined;
}

export function collectCell(cell: Cell): CellResults {
  const models: ModelResult[] = [];
  const missing: string[] = [];
  for (const name of [ORIGINAL, ...cell.methods]) {
    const evalDir = cell.evalDir(name);
    const metrics = readIfPresent<MetricsRecord>(path.join(evalDir, METRICS_FILE));
    const producer = name === ORIGINAL
      ? readIfPresent<FinetuneRecord>(path.join(cell.originalDir, TRAIN_RECORD))
      : readIfPresent<UnlearnRecord>(path.join(cell.modelDir(name), UNLEARN_RECORD));
    if (!metrics || !producer) {
      missing.push(name);
      continue;
    }
    const latent = readIfPresent<Latent2d>(path.join(evalDir, LATENT_FILE));
    models.push({
      name, metrics, ...(latent ? { latent } : {}), wallSeconds: producer.wall_seconds, steps: producer.steps,
      ...('stopped_by' in producer && typeof producer.stopped_by === 'string' ? { stoppedBy: producer.stopped_by } : {}),
      ...('losses' in producer ? { losses: producer.losses } : {}),
      ...('checks' in producer ? { stopping: producer } : {}),
    });
  }
  return { cell, models, missing };
}

/** The reference's wall time in a cell, for speed-ups. */
export function referenceSeconds(results: CellResults): number {
  return results.models.find((m) => m.name === REFERENCE_METHOD)?.wallSeconds ?? NaN;
}
