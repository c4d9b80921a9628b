// Runs an experiment plan unit by unit, skipping finished units (their markers), resuming
// interrupted ones, and carrying on past a failed unit (its dependents are skipped) so one bad
// run does not cost the rest of the grid. Results, reports and the index are rebuilt from disk
// at the end, whatever ran this time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetHash, loadDataset, resolveForgetSet, splitOf, type Dataset, type ForgetSet } from '../data';
import { writeFileAtomic } from '../io/atomic';
import { writeIndex, writeReport } from '../report';
import { collectCell, type CellResults } from './collect';
import type { ExperimentConfig } from './config';
import { resolveDevice, type Device, type DeviceSpec } from '../engine/device';
import { ReferenceCache, runEvalUnit, runFinetuneUnit, runReferencesUnit, runUnlearnUnit, type ProgressFactory, type UnitContext } from './execute';
import { markerFile, unitState } from './markers';
import { describeUnit, planExperiment, type Plan, type Unit } from './plan';
import { cellReportInput, indexEntries } from './reports';
import { resultsCsv, resultsMarkdown, rowsOf, type ResultRow } from './results';

export const EXPERIMENT_FILE = 'experiment.json';
export const RESULTS_CSV = 'results.csv';
export const RESULTS_MD = 'results.md';
export const INDEX_FILE = 'index.html';

export type UnitAction = 'ran' | 'resumed' | 'skipped' | 'failed' | 'blocked';

export interface UnitEvent {
  unit: Unit;
  /** 1-based position in the plan. */
  index: number;
  total: number;
  action: UnitAction;
  error?: Error;
}

export interface RunExperimentOptions {
  /** Continue the experiment already in config.out: skip finished units, resume interrupted ones. */
  resume?: boolean;
  /** Start over: delete the experiment already in config.out (only a folder holding experiment.json). */
  overwrite?: boolean;
  /** Where every unit computes: 'auto' (default: a GPU when libtorch sees one), 'cpu', 'cuda' or 'cuda:N'. */
  device?: DeviceSpec;
  log?: (line: string) => void;
  progress?: ProgressFactory;
  /** Called after each unit with what happened to it. */
  onUnit?: (event: UnitEvent) => void;
}

export interface ExperimentOutcome {
  plan: Plan;
  rows: ResultRow[];
  cells: CellResults[];
  files: { csv: string; markdown: string; index: string; reports: string[] };
  failures: { unit: Unit; error: Error }[];
  counts: Record<UnitAction, number>;
}

/**
 * Whether `out` may receive this experiment: absent or empty; with resume, a folder holding an
 * experiment (experiment.json); with overwrite, the same, which is then emptied. Anything else
 * is refused: an output folder of someone else's is never written into or deleted.
 */
export function checkExperimentOutput(out: string, options: { resume?: boolean; overwrite?: boolean }): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory()) throw new Error(`${out} exists and is not a folder`);
  if (fs.readdirSync(out).length === 0) return;
  const ours = fs.existsSync(path.join(out, EXPERIMENT_FILE));
  if (options.resume || options.overwrite) {
    if (!ours) throw new Error(`${out} is not empty and holds no ${EXPERIMENT_FILE}: not an experiment folder, refusing to ${options.resume ? 'resume into' : 'overwrite'} it`);
    return;
  }
  throw new Error(`${out} exists and is not empty (pass --resume to continue that experiment, or --overwrite to start over)`);
}

const silentProgress: ProgressFactory = () => ({ update() {}, stop() {} });

export async function runExperiment(config: ExperimentConfig, options: RunExperimentOptions = {}): Promise<ExperimentOutcome> {
  const log = options.log ?? (() => undefined);
  const progress = options.progress ?? silentProgress;
  const device = resolveDevice(options.device ?? 'auto');
  startExperimentFolder(config, options);

  const plan = planExperiment(config);
  const env = unitEnvironment(config, plan, { device, log, progress });
  const failed = new Set<string>();
  const failures: { unit: Unit; error: Error }[] = [];
  const counts: Record<UnitAction, number> = { ran: 0, resumed: 0, skipped: 0, failed: 0, blocked: 0 };
  const total = plan.units.length;
  for (const [i, unit] of plan.units.entries()) {
    const head = `[${i + 1}/${total}] ${describeUnit(unit)}`;
    const report = (action: UnitAction, error?: Error) => {
      counts[action]++;
      options.onUnit?.({ unit, index: i + 1, total, action, ...(error ? { error } : {}) });
    };
    if (unit.deps.some((d) => failed.has(d))) {
      log(`${head}: not run, a unit it needs failed`);
      failed.add(unit.id);
      report('blocked');
      continue;
    }
    try {
      report(await runPlannedUnit(unit, head, env));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      log(`${head}: FAILED: ${error.message}`);
      failed.add(unit.id);
      failures.push({ unit, error });
      report('failed', error);
    }
  }

  const written = await writeResults(config, plan, env.dataset);
  return { plan, ...written, failures, counts };
}

/** Checks the output folder (see checkExperimentOutput), empties it on overwrite, and records the config in experiment.json. */
export function startExperimentFolder(config: ExperimentConfig, options: { resume?: boolean; overwrite?: boolean }): void {
  checkExperimentOutput(config.out, options);
  if (options.overwrite && !options.resume) fs.rmSync(config.out, { recursive: true, force: true });
  writeFileAtomic(path.join(config.out, EXPERIMENT_FILE), `${JSON.stringify({ ...config, written_at: new Date().toISOString() }, null, 2)}\n`);
}

/** What running the units of one plan shares: loaded datasets, resolved forget sets, the cell's reference evaluation. */
export interface UnitEnvironment {
  config: ExperimentConfig;
  byId: Map<string, Unit>;
  device: Device;
  log: (line: string) => void;
  progress: ProgressFactory;
  reference: ReferenceCache;
  dataset(unit: Pick<Unit, 'dataset'>): Promise<Dataset>;
  forgetSet(ds: Dataset, unit: Extract<Unit, { forget: unknown }>): ForgetSet;
}

export function unitEnvironment(config: ExperimentConfig, plan: Plan, options: { device: Device; log: (line: string) => void; progress: ProgressFactory }): UnitEnvironment {
  const { log } = options;
  const datasets = new Map<string, Promise<Dataset>>();
  const dataset = (unit: Pick<Unit, 'dataset'>): Promise<Dataset> => {
    let loaded = datasets.get(unit.dataset.key);
    if (!loaded) {
      loaded = loadDataset(unit.dataset.source, { seed: config.splitSeed, log: (line) => log(`  ${line}`) });
      datasets.set(unit.dataset.key, loaded);
    }
    return loaded;
  };
  const forgetSets = new Map<string, ForgetSet>();
  const forgetSet = (ds: Dataset, unit: Extract<Unit, { forget: unknown }>): ForgetSet => {
    const key = `${unit.dataset.key}\u0000${unit.forget.key}`;
    let set = forgetSets.get(key);
    if (!set) {
      set = resolveForgetSet(ds, unit.forget.spec, { seed: config.splitSeed, baseDir: config.baseDir });
      for (const note of set.notes ?? []) log(`  ${note}`);
      log(`  forget set ${set.spec}: ${set.ids.length} train records (hash ${set.hash.slice(0, 12)})`);
      for (const warning of set.warnings) log(`  warning: ${warning}`);
      forgetSets.set(key, set);
    }
    return set;
  };
  return { config, byId: new Map(plan.units.map((u) => [u.id, u])), ...options, reference: new ReferenceCache(), dataset, forgetSet };
}

/**
 * Runs one unit whose dependencies have finished: skipped when its marker says it is done,
 * resumed from its checkpoint when interrupted, otherwise started clean. `head` starts its log lines.
 * Throws what the unit threw. Shared by the local loop and the queue's workers.
 */
export async function runPlannedUnit(unit: Unit, head: string, env: UnitEnvironment): Promise<'ran' | 'resumed' | 'skipped'> {
  const { config, log, device, progress, reference } = env;
  const ds = await env.dataset(unit);
  const forget = unit.kind === 'finetune' || unit.kind === 'references' ? undefined : env.forgetSet(ds, unit);
  const extra: Record<string, unknown> = forget === undefined ? { data_hash: datasetHash(splitOf(ds, 'train')) } : { 'forget.hash': forget.hash };
  const state = unitState(config, unit, unit.deps.map((d) => markerFile(env.byId.get(d)!)), extra);
  if (state.status === 'done') {
    log(`${head}: finished earlier, skipped`);
    return 'skipped';
  }
  // An interrupted fine-tune or unlearning run continues from its checkpoint; anything else starts clean.
  const resume = state.status === 'partial' && unit.kind !== 'eval';
  if (state.status === 'stale') log(`${head}: redoing (${state.reason})`);
  else log(resume ? `${head}: resuming an interrupted run` : head);
  if (!resume) fs.rmSync(unit.dir, { recursive: true, force: true });
  const ctx: UnitContext = { config, dataset: ds, ...(forget ? { forget } : {}), resume, device, log, progress, reference };
  if (unit.kind === 'finetune') runFinetuneUnit(unit, ctx);
  else if (unit.kind === 'references') runReferencesUnit(unit, ctx);
  else if (unit.kind === 'unlearn') await runUnlearnUnit(unit, ctx);
  else runEvalUnit(unit, ctx);
  return resume ? 'resumed' : 'ran';
}

/** Rebuilds results.csv, results.md, the reports and the index from what is on disk (as the end of a local run does). */
export async function writeExperimentResults(config: ExperimentConfig, plan: Plan, log: (line: string) => void = () => undefined): Promise<Pick<ExperimentOutcome, 'rows' | 'cells' | 'files'>> {
  const env = unitEnvironment(config, plan, { device: 'cpu', log, progress: silentProgress });
  return writeResults(config, plan, env.dataset);
}

/** results.csv, results.md, a report per cell with any finished model, and the index. */
async function writeResults(
  config: ExperimentConfig, plan: Plan, dataset: (unit: Pick<Unit, 'dataset'>) => Promise<Dataset>,
): Promise<Pick<ExperimentOutcome, 'rows' | 'cells' | 'files'>> {
  const cells = plan.cells.map(collectCell);
  const rows = cells.flatMap(rowsOf);
  const csv = path.join(config.out, RESULTS_CSV);
  const markdown = path.join(config.out, RESULTS_MD);
  const index = path.join(config.out, INDEX_FILE);
  writeFileAtomic(csv, resultsCsv(rows));
  writeFileAtomic(markdown, resultsMarkdown(rows, { name: config.name, methods: config.methods }));
  const reports: string[] = [];
  for (const results of cells) {
    if (results.models.length === 0) continue;
    const ds = await dataset(results.cell);
    writeReport(results.cell.report, cellReportInput(results, { experiment: config.name, labels: ds.labels }));
    reports.push(results.cell.report);
  }
  const reported = cells.filter((c) => c.models.length > 0);
  writeIndex(index, indexEntries(reported, config.out), { title: `${config.name}: ${reported.length} report${reported.length === 1 ? '' : 's'}` });
  return { rows, cells, files: { csv, markdown, index, reports } };
}
