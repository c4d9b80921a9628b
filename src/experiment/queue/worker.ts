// `deepcut worker`: runs the units of the grids registered on a Redis, each in a child process
// (unit-process.ts), on as many machines as share the grids' output folders. A unit already
// finished on disk is skipped, an interrupted one resumed from its checkpoint (the same markers
// as a local run); a worker killed mid-unit stops renewing its job's lock, BullMQ's stalled-job
// check (run by every worker) puts the job back, and another worker resumes the unit.
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { DeviceSpec } from '../../engine/device';
import { probeRedis, redisOptions } from './connection';
import { GRIDS_KEY, deepcutVersion, gridKey, gridMismatch, workerName, type GridMeta, type UnitJobData, type UnitJobResult } from './grid';
import type { UnitReply } from './unit-process';

export interface GridWorkerOptions {
  url: string;
  /** Units this process runs at once (each in its own process). */
  concurrency?: number;
  /** ms a job's lock lasts without renewal (BullMQ renews it at half this): how soon a killed worker's job is retaken. */
  lockDuration?: number;
  /** ms between stalled-job checks. */
  stalledInterval?: number;
  /** Times a job may stall (its worker died) before it fails. */
  maxStalledCount?: number;
  /** ms between looks for new grids, and before a unit whose dependency is still running looks again. */
  pollMs?: number;
  device?: DeviceSpec;
  log?: (line: string) => void;
  /** Resolves when the worker should stop (its running units are killed; their jobs stall and are retaken). */
  stop?: Promise<void>;
}

export const WORKER_DEFAULTS = { concurrency: 1, lockDuration: 30_000, stalledInterval: 15_000, maxStalledCount: 3, pollMs: 2000 } as const;

/** A grid this worker refuses to run (another deepcut version, another config, no shared folder). */
export class GridRefusedError extends Error {
  override readonly name = 'GridRefusedError';
}

const UNIT_PROCESS = path.join(__dirname, 'unit-process.js');

/** Runs one unit in a child process; resolves with what it did, rejects with its error. */
function runUnitProcess(data: UnitJobData, configHash: string, device: DeviceSpec, children: Set<ChildProcess>): Promise<UnitReply & { action: UnitJobResult['action'] }> {
  return new Promise((resolve, reject) => {
    const child = fork(UNIT_PROCESS, [data.out, data.unitId, configHash, device], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc'] });
    children.add(child);
    let reply: UnitReply | undefined;
    child.on('message', (m: UnitReply) => { reply = m; });
    child.on('error', (err) => { children.delete(child); reject(err); });
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (reply && 'action' in reply) resolve(reply);
      else if (reply && 'error' in reply) reject(new Error(reply.error));
      else reject(new Error(`the unit's process ended without a result (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}

export async function runGridWorker(options: GridWorkerOptions): Promise<void> {
  const o = { ...WORKER_DEFAULTS, ...options };
  const log = options.log ?? (() => undefined);
  const device = options.device ?? 'auto';
  const me = workerName();
  const version = deepcutVersion();
  await probeRedis(o.url);
  const connection = redisOptions(o.url);
  const client = new Redis(connection);
  client.on('error', (err: Error) => log(`worker ${me}: Redis: ${err.message}`));
  const serving = new Map<string, { worker: Worker<UnitJobData, UnitJobResult>; queue: Queue }>();
  const children = new Set<ChildProcess>();
  log(`worker ${me}: deepcut ${version}, ${o.concurrency} unit(s) at a time, waiting for grids on ${o.url}`);

  const serve = (meta: GridMeta) => {
    const queue = new Queue(meta.queue, { connection });
    queue.on('error', (err) => log(`worker ${me}: Redis: ${err.message}`));
    const process = async (job: Job<UnitJobData, UnitJobResult>, token?: string): Promise<UnitJobResult> => {
      const data = job.data;
      if (data.version !== version || data.configHash !== meta.configHash) {
        throw new UnrecoverableError(`refused by worker ${me}: the job is of deepcut ${data.version}, config ${data.configHash.slice(0, 12)}; this worker is deepcut ${version} serving config ${meta.configHash.slice(0, 12)}`);
      }
      for (const dep of data.waitFor) {
        const state = await queue.getJobState(dep);
        if (state === 'failed') throw new UnrecoverableError(`not run: a unit it needs failed (${(await queue.getJob(dep))?.name ?? dep})`);
        if (state !== 'completed') {
          // Its dependency still runs: back to the delayed set, looked at again in pollMs.
          await job.moveToDelayed(Date.now() + o.pollMs, token);
          throw new DelayedError();
        }
      }
      const started = Date.now();
      log(`worker ${me}: ${data.unitId}: started`);
      const reply = await runUnitProcess(data, meta.configHash, device, children);
      const seconds = (Date.now() - started) / 1000;
      log(`worker ${me}: ${data.unitId}: ${reply.action} (${seconds.toFixed(1)} s)`);
      return { action: reply.action, worker: me, seconds };
    };
    const worker = new Worker<UnitJobData, UnitJobResult>(meta.queue, process, {
      connection, concurrency: o.concurrency, lockDuration: o.lockDuration, stalledInterval: o.stalledInterval, maxStalledCount: o.maxStalledCount,
    });
    worker.on('error', (err) => log(`worker ${me}: ${err.message}`));
    worker.on('failed', (job, err) => { if (job && !(err instanceof DelayedError)) log(`worker ${me}: ${job.name}: FAILED: ${err.message}`); });
    serving.set(meta.queue, { worker, queue });
    log(`worker ${me}: serving grid ${meta.name} (${meta.total} units, ${meta.out})`);
  };

  const look = async (): Promise<void> => {
    const listed = new Set(await client.smembers(GRIDS_KEY));
    for (const name of listed) {
      if (serving.has(name)) continue;
      const raw = await client.get(gridKey(name));
      if (raw === null) continue;
      const meta = JSON.parse(raw) as GridMeta;
      const why = gridMismatch(meta, version);
      if (why !== undefined) throw new GridRefusedError(`refusing grid ${meta.name} (${meta.out}): ${why}`);
      serve(meta);
    }
    for (const [name, s] of serving) {
      if (listed.has(name)) continue;
      serving.delete(name);
      await s.worker.close();
      await s.queue.close();
      log(`worker ${me}: grid ${name} ended`);
    }
  };

  let stopped = false;
  void options.stop?.then(() => { stopped = true; });
  try {
    while (!stopped) {
      await look();
      await Promise.race([new Promise((r) => setTimeout(r, o.pollMs)), options.stop ?? new Promise(() => undefined)]);
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all([...serving.values()].map(async (s) => { await s.worker.close(true); await s.queue.close(); }));
    client.disconnect();
  }
}
