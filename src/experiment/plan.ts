// An experiment as units of work with dependencies, so shared work is done once:
//   finetune  one original per (dataset, seed)
//   references  with stop: references, K reference models per original (deepcut references)
//   unlearn   one run per (dataset, forget, method, seed), retrain (the reference) included;
//             each starts from the original of its (dataset, seed)
//   eval      one measurement per model of each (dataset, forget, seed) cell — the original,
//             every method and retrain itself — against that cell's retrained model
// Units are listed in an order that satisfies every dependency and finishes one cell before
// starting the next, so its report can be read while the rest of the grid runs.
//
// Folder layout under the experiment's out:
//   DATASET/seed-S/original/                        fine-tuned model + train.json
//   DATASET/seed-S/references/                      references.json + ref-0 ... (stop: references)
//   DATASET/FORGET/seed-S/models/METHOD/            unlearned model + unlearn.json (retrain too)
//   DATASET/FORGET/seed-S/eval/MODEL/               metrics.json + latent.json
//   DATASET/FORGET/seed-S/report.html
import * as path from 'node:path';
import { REFERENCE_METHOD, type DatasetEntry, type ExperimentConfig, type ForgetEntry } from './config';

/** The name of the model before unlearning, in tables and reports. */
export const ORIGINAL = 'original';

interface UnitBase {
  /** Unique, readable: e.g. "unlearn spamassassin/largest-user/deepcut/seed-0". */
  id: string;
  dataset: DatasetEntry;
  seed: number;
  /** The unit's output folder. */
  dir: string;
  /** Ids of the units whose outputs this one reads. */
  deps: string[];
}

export interface FinetuneUnit extends UnitBase { kind: 'finetune' }
/** K reference models trained on subject-disjoint partitions with the original's recipe. */
export interface ReferencesUnit extends UnitBase { kind: 'references'; modelDir: string; k: number }
export interface UnlearnUnit extends UnitBase {
  kind: 'unlearn'; forget: ForgetEntry; method: string; modelDir: string;
  /** stop: references: the folder of the original's reference models. */
  referencesDir?: string;
}
export interface EvalUnit extends UnitBase {
  kind: 'eval';
  forget: ForgetEntry;
  /** ORIGINAL or a method name (REFERENCE_METHOD included). */
  model: string;
  modelDir: string;
  referenceDir: string;
  /** eval.audit: the original's reference models, the audit's OUT models. */
  referencesDir?: string;
}
export type Unit = FinetuneUnit | ReferencesUnit | UnlearnUnit | EvalUnit;

/** One (dataset, forget, seed): the models compared in one report. */
export interface Cell {
  dataset: DatasetEntry;
  forget: ForgetEntry;
  seed: number;
  dir: string;
  report: string;
  originalDir: string;
  /** stop: references: the original's reference models. */
  referencesDir?: string;
  /** Methods in config order, then the reference. */
  methods: string[];
  modelDir(model: string): string;
  evalDir(model: string): string;
}

export interface Plan {
  units: Unit[];
  cells: Cell[];
}

export function planExperiment(config: ExperimentConfig): Plan {
  const units: Unit[] = [];
  const cells: Cell[] = [];
  for (const dataset of config.datasets) {
    for (const seed of config.seeds) {
      const originalDir = path.join(config.out, dataset.key, `seed-${seed}`, ORIGINAL);
      const original: FinetuneUnit = { kind: 'finetune', id: `finetune ${dataset.key}/seed-${seed}`, dataset, seed, dir: originalDir, deps: [] };
      units.push(original);
      let references: ReferencesUnit | undefined;
      // The stopping target and the per-example audit share one set of reference models.
      if (config.stop === 'references' || config.eval.audit !== undefined) {
        references = {
          kind: 'references', id: `references ${dataset.key}/seed-${seed}`, dataset, seed, k: config.references.k,
          dir: path.join(config.out, dataset.key, `seed-${seed}`, 'references'), modelDir: originalDir, deps: [original.id],
        };
        units.push(references);
      }
      for (const forget of config.forget) {
        const dir = path.join(config.out, dataset.key, forget.key, `seed-${seed}`);
        const methods = [...config.methods, REFERENCE_METHOD];
        const cell: Cell = {
          dataset, forget, seed, dir, report: path.join(dir, 'report.html'), originalDir, methods, ...(references ? { referencesDir: references.dir } : {}),
          modelDir: (model) => (model === ORIGINAL ? originalDir : path.join(dir, 'models', model)),
          evalDir: (model) => path.join(dir, 'eval', model),
        };
        cells.push(cell);
        const unlearnId = (method: string) => `unlearn ${dataset.key}/${forget.key}/${method}/seed-${seed}`;
        // The reference first: every evaluation of the cell needs it.
        for (const method of [REFERENCE_METHOD, ...config.methods]) {
          // Retrain has no stopping rule: only the methods that stop need the references.
          const withReferences = references && config.stop === 'references' && method !== REFERENCE_METHOD ? references : undefined;
          units.push({
            kind: 'unlearn', id: unlearnId(method), dataset, seed, forget, method, modelDir: originalDir, dir: cell.modelDir(method),
            deps: [original.id, ...(withReferences ? [withReferences.id] : [])], ...(withReferences ? { referencesDir: withReferences.dir } : {}),
          });
        }
        // The reference's own evaluation first: it is kept and reused by the cell's other evaluations.
        for (const model of [REFERENCE_METHOD, ORIGINAL, ...config.methods]) {
          const producer = model === ORIGINAL ? original.id : unlearnId(model);
          const audited = config.eval.audit !== undefined && references ? references : undefined;
          units.push({
            kind: 'eval', id: `eval ${dataset.key}/${forget.key}/${model}/seed-${seed}`, dataset, seed, forget, model,
            modelDir: cell.modelDir(model), referenceDir: cell.modelDir(REFERENCE_METHOD), dir: cell.evalDir(model),
            deps: [...new Set([producer, unlearnId(REFERENCE_METHOD), ...(audited ? [audited.id] : [])])], ...(audited ? { referencesDir: audited.dir } : {}),
          });
        }
      }
    }
  }
  return { units, cells };
}

/** "spamassassin largest-user deepcut seed 0": the words of a unit's progress line. */
export function describeUnit(unit: Unit): string {
  switch (unit.kind) {
    case 'finetune':
      return `${unit.dataset.key} - original seed ${unit.seed}: fine-tune`;
    case 'references':
      return `${unit.dataset.key} - original seed ${unit.seed}: ${unit.k} reference models`;
    case 'unlearn':
      return `${unit.dataset.key} ${unit.forget.spec} ${unit.method} seed ${unit.seed}: ${unit.method === REFERENCE_METHOD ? 'retrain (reference)' : 'unlearn'}`;
    case 'eval':
      return `${unit.dataset.key} ${unit.forget.spec} ${unit.model} seed ${unit.seed}: evaluate`;
  }
}
