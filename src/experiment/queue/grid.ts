// A grid on BullMQ: its queue name, the identity a worker checks (deepcut version, config hash),
// the registry workers find grids in, and the plan's units as BullMQ flows.
//
// BullMQ flows are trees: a parent job runs once all its children completed, and a job has one
// parent (a child shared by two parents releases only the first: taskforcesh/bullmq#1021, #3812).
// The plan is a DAG (the original feeds every unlearning run of its cells, the retrain every
// evaluation of its cell), so each unit becomes the child of one dependent, the one with the
// fewest dependencies (the retrain's own evaluation, a method's evaluation, the references
// set); the other dependents wait for it as a job they check when they start: while it has
// not completed they move themselves back to BullMQ's delayed set (DelayedError), and when it
// failed they fail as blocked. Flow children fail their parent (failParentOnFailure), so a
// failed unit blocks exactly what depends on it, as in a local run.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FlowJob } from 'bullmq';
import type { ExperimentConfig } from '../config';
import type { Plan, Unit } from '../plan';
import { EXPERIMENT_FILE } from '../run';
import { provenance } from '../../provenance/info';

/** Redis set of the queue names of the grids being run (workers poll it). */
export const GRIDS_KEY = 'deepcut:grids';
export const gridKey = (queue: string): string => `deepcut:grid:${queue}`;

/** What a submitter records about its grid; workers refuse one they do not match. */
export interface GridMeta {
  queue: string;
  out: string;
  name: string;
  configHash: string;
  version: string;
  total: number;
  submittedAt: string;
  submitter: string;
}

export interface UnitJobData {
  unitId: string;
  out: string;
  configHash: string;
  version: string;
  /** Job ids of the dependencies the flow does not hold as children: checked when the job starts. */
  waitFor: string[];
}

/** What a worker returns for a unit it finished. */
export interface UnitJobResult {
  action: 'ran' | 'resumed' | 'skipped';
  worker: string;
  seconds: number;
}

/** The deepcut version of this installation (package.json), compared between submitter and workers. */
export function deepcutVersion(): string {
  return provenance().deepcut_version ?? 'unknown';
}

export const workerName = (): string => `${os.hostname()}:${process.pid}`;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** sha256 of the config as experiment.json stores it (keys sorted; written_at left out). */
export function configHash(config: ExperimentConfig | Record<string, unknown>): string {
  const { written_at: _w, ...stored } = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  return createHash('sha256').update(JSON.stringify(canonical(stored))).digest('hex');
}

/** "deepcut-<out hash>-<config hash>": two grids (another folder or another config) never share a queue. */
export function gridQueueName(config: ExperimentConfig): string {
  const outHash = createHash('sha256').update(path.resolve(config.out)).digest('hex').slice(0, 10);
  return `deepcut-${outHash}-${configHash(config).slice(0, 12)}`;
}

/** BullMQ job ids may not hold ':' (and unit ids hold spaces and slashes): a digest of the unit id. */
export function jobIdOf(unit: Pick<Unit, 'id'>): string {
  return `u-${createHash('sha256').update(unit.id).digest('hex').slice(0, 20)}`;
}

/** The config a grid's workers run: experiment.json in its (shared) output folder. */
export function readGridConfig(out: string): ExperimentConfig {
  const file = path.join(out, EXPERIMENT_FILE);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is not on this machine: every worker needs the grid's output folder at the same path (a shared filesystem)`);
  }
  const { written_at: _w, ...config } = JSON.parse(fs.readFileSync(file, 'utf8')) as ExperimentConfig & { written_at?: string };
  return config;
}

/** Why a worker cannot run units of this grid, or undefined when it can. */
export function gridMismatch(meta: Pick<GridMeta, 'version' | 'configHash' | 'out'>, version = deepcutVersion()): string | undefined {
  if (meta.version !== version) return `it was submitted by deepcut ${meta.version}, this worker is deepcut ${version}: run workers of the submitter's version`;
  let config: ExperimentConfig;
  try {
    config = readGridConfig(meta.out);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  const hash = configHash(config);
  if (hash !== meta.configHash) {
    return `its config hash ${meta.configHash.slice(0, 12)} differs from that of ${path.join(meta.out, EXPERIMENT_FILE)} (${hash.slice(0, 12)}): the folder holds another experiment now`;
  }
  return undefined;
}

/** The parent each unit has in the flows: its dependent with the fewest dependencies, the first in plan order on a tie. */
export function flowParents(plan: Plan): Map<string, string> {
  const dependents = new Map<string, Unit[]>();
  for (const unit of plan.units) for (const dep of unit.deps) dependents.set(dep, [...(dependents.get(dep) ?? []), unit]);
  const parents = new Map<string, string>();
  for (const unit of plan.units) {
    const candidates = dependents.get(unit.id) ?? [];
    const best = candidates.reduce<Unit | undefined>((b, c) => (b === undefined || c.deps.length < b.deps.length ? c : b), undefined);
    if (best) parents.set(unit.id, best.id);
  }
  return parents;
}

/** The plan's units as flow trees for FlowProducer.addBulk; earlier units get the higher priority, as a local run orders them. */
export function unitFlows(plan: Plan, queue: string, meta: Pick<GridMeta, 'out' | 'configHash' | 'version'>): FlowJob[] {
  const parents = flowParents(plan);
  const children = new Map<string, Unit[]>();
  for (const unit of plan.units) {
    const parent = parents.get(unit.id);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), unit]);
  }
  const position = new Map(plan.units.map((u, i) => [u.id, i]));
  const node = (unit: Unit): FlowJob => {
    const held = new Set((children.get(unit.id) ?? []).map((c) => c.id));
    const data: UnitJobData = {
      unitId: unit.id, out: meta.out, configHash: meta.configHash, version: meta.version,
      waitFor: unit.deps.filter((d) => !held.has(d)).map((d) => jobIdOf({ id: d })),
    };
    const kids = children.get(unit.id) ?? [];
    return {
      name: unit.id, queueName: queue, data,
      opts: { jobId: jobIdOf(unit), priority: position.get(unit.id)! + 1, failParentOnFailure: true, removeOnComplete: false, removeOnFail: false },
      ...(kids.length > 0 ? { children: kids.map(node) } : {}),
    };
  };
  return plan.units.filter((u) => !parents.has(u.id)).map(node);
}

/** The meta a submitter registers for its grid. */
export function gridMeta(config: ExperimentConfig, plan: Plan): GridMeta {
  return {
    queue: gridQueueName(config), out: path.resolve(config.out), name: config.name, configHash: configHash(config), version: deepcutVersion(),
    total: plan.units.length, submittedAt: new Date().toISOString(), submitter: workerName(),
  };
}
