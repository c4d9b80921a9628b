// `deepcut experiment --queue`: puts a grid's units on BullMQ as flows, shows the grid's
// progress while workers run them, and when the last unit has ended writes results.csv,
// results.md, the reports and the index from disk, as a local run does.
import { FlowProducer, Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { ExperimentConfig } from '../config';
import { describeUnit, planExperiment, type Unit } from '../plan';
import { startExperimentFolder, writeExperimentResults, type ExperimentOutcome, type UnitAction, type UnitEvent } from '../run';
import { probeRedis, redisOptions } from './connection';
import { GRIDS_KEY, gridKey, gridMeta, jobIdOf, unitFlows, type UnitJobData, type UnitJobResult } from './grid';

export interface SubmitOptions {
  url: string;
  resume?: boolean;
  overwrite?: boolean;
  /** ms between looks at the grid's jobs. */
  pollMs?: number;
  log?: (line: string) => void;
  onUnit?: (event: UnitEvent) => void;
}

/** Submits the grid, waits for every unit to end, writes the tables and reports; failures are in the outcome, as runExperiment's. */
export async function submitExperiment(config: ExperimentConfig, options: SubmitOptions): Promise<ExperimentOutcome> {
  const log = options.log ?? (() => undefined);
  const pollMs = options.pollMs ?? 1000;
  await probeRedis(options.url);
  const connection = redisOptions(options.url);
  const plan = planExperiment(config);
  const meta = gridMeta(config, plan);
  const queue = new Queue<UnitJobData, UnitJobResult>(meta.queue, { connection });
  const client = new Redis(connection);
  const flows = new FlowProducer({ connection });
  const onError = (err: Error) => log(`Redis: ${err.message}`);
  queue.on('error', onError);
  client.on('error', onError);
  flows.on('error', onError);
  try {
    const running = await queue.getJobCounts('active');
    if ((running.active ?? 0) > 0) throw new Error(`grid ${meta.queue} is already being run (${running.active} unit(s) active on ${options.url}): wait for it, or stop its workers`);
    startExperimentFolder(config, options);
    // A previous submission's jobs (completed or failed) would shadow the new ones of the same id.
    await queue.obliterate({ force: true });
    await client.set(gridKey(meta.queue), JSON.stringify(meta));
    await client.sadd(GRIDS_KEY, meta.queue);
    await flows.addBulk(unitFlows(plan, meta.queue, meta));
    log(`queued ${plan.units.length} units on ${options.url} as grid ${meta.queue}; start workers with: deepcut worker --queue ${options.url}`);
    const outcome = await follow(plan.units, queue, pollMs, log, options.onUnit);
    await client.srem(GRIDS_KEY, meta.queue);
    await client.del(gridKey(meta.queue));
    const written = await writeExperimentResults(config, plan, log);
    return { plan, ...written, ...outcome };
  } finally {
    await flows.close();
    await queue.close();
    client.disconnect();
  }
}

/** Polls the queue until every unit completed or failed, reporting each as it ends. */
async function follow(
  units: Unit[], queue: Queue<UnitJobData, UnitJobResult>, pollMs: number, log: (line: string) => void, onUnit?: (event: UnitEvent) => void,
): Promise<Pick<ExperimentOutcome, 'failures' | 'counts'>> {
  const byJob = new Map(units.map((u, i) => [jobIdOf(u), { unit: u, index: i + 1 }]));
  const ended = new Map<string, UnitAction>();
  const failures: { unit: Unit; error: Error }[] = [];
  const counts: Record<UnitAction, number> = { ran: 0, resumed: 0, skipped: 0, failed: 0, blocked: 0 };
  const total = units.length;
  const record = (job: Job<UnitJobData, UnitJobResult>, failed: boolean) => {
    const entry = job.id === undefined ? undefined : byJob.get(job.id);
    if (!entry || ended.has(entry.unit.id)) return;
    const { unit, index } = entry;
    let action: UnitAction;
    let error: Error | undefined;
    if (!failed) action = job.returnvalue.action;
    else if (unit.deps.some((d) => ended.get(d) === 'failed' || ended.get(d) === 'blocked')) action = 'blocked';
    else {
      action = 'failed';
      error = new Error(job.failedReason || 'failed without a reason');
      failures.push({ unit, error });
    }
    ended.set(unit.id, action);
    counts[action]++;
    const where = !failed ? ` on ${job.returnvalue.worker} in ${job.returnvalue.seconds.toFixed(1)} s` : '';
    const what = { ran: 'ran', resumed: 'resumed an interrupted run', skipped: 'finished earlier, skipped', failed: `FAILED: ${error?.message}`, blocked: 'not run, a unit it needs failed' }[action];
    log(`[${ended.size}/${total} done] ${describeUnit(unit)}: ${what}${where}`);
    onUnit?.({ unit, index, total, action, ...(error ? { error } : {}) });
  };
  while (ended.size < total) {
    const completed = await queue.getJobs(['completed'], 0, -1);
    const failed = await queue.getJobs(['failed'], 0, -1);
    // In plan order, so a unit's failure is known before its dependents' (blocked) are read.
    const finished = [...completed.map((j) => ({ j, failed: false })), ...failed.map((j) => ({ j, failed: true }))]
      .sort((a, b) => (byJob.get(a.j.id ?? '')?.index ?? 0) - (byJob.get(b.j.id ?? '')?.index ?? 0));
    for (const { j, failed: f } of finished) record(j, f);
    if (ended.size < total) await new Promise((r) => setTimeout(r, pollMs));
  }
  return { failures, counts };
}
