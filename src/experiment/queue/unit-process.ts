// One unit of a queued grid, in a process of its own (forked by `deepcut worker`). Units run
// synchronous libtorch code that holds the event loop for minutes (a fine-tune is one
// synchronous call); in the worker's own process that would starve BullMQ's lock renewal and
// another worker would take the job while it still runs. Here the worker's loop stays free.
//
// The unit dies with its worker: a watchdog thread (the main thread may be inside libtorch)
// kills this process when the worker is gone (reparented), so a SIGKILLed worker leaves no
// orphan writing into the folder the next worker resumes.
import { Worker } from 'node:worker_threads';
import { resolveDevice, type DeviceSpec } from '../../engine/device';
import { startProgress } from '../../cli/progress';
import { planExperiment, describeUnit } from '../plan';
import { runPlannedUnit, unitEnvironment } from '../run';
import { configHash, readGridConfig } from './grid';

/** argv after the script: out, unit id, config hash, device spec. */
export interface UnitRequest { out: string; unitId: string; configHash: string; device: DeviceSpec }

/** The messages the unit process sends its worker. */
export type UnitReply = { action: 'ran' | 'resumed' | 'skipped' } | { error: string };

const WATCHDOG = `
const { workerData } = require('node:worker_threads');
setInterval(() => { if (process.ppid !== workerData.ppid) process.kill(workerData.pid, 'SIGKILL'); }, 200);
`;

function watchParent(): void {
  new Worker(WATCHDOG, { eval: true, workerData: { ppid: process.ppid, pid: process.pid } }).unref();
}

async function main(request: UnitRequest): Promise<UnitReply> {
  const config = readGridConfig(request.out);
  if (configHash(config) !== request.configHash) throw new Error(`${request.out}: experiment.json is not the config of the submitted grid`);
  const plan = planExperiment(config);
  const unit = plan.units.find((u) => u.id === request.unitId);
  if (!unit) throw new Error(`the grid in ${request.out} has no unit '${request.unitId}'`);
  const tag = `[${unit.id}]`;
  const log = (line: string) => console.log(`${tag} ${line}`);
  const env = unitEnvironment(config, plan, {
    device: resolveDevice(request.device), log, progress: (label, total, fields) => startProgress(`${tag}   ${label}`, total, fields),
  });
  return { action: await runPlannedUnit(unit, describeUnit(unit), env) };
}

if (require.main === module) {
  const [out, unitId, hash, device] = process.argv.slice(2);
  watchParent();
  const send = (reply: UnitReply) => new Promise<void>((resolve) => (process.send ? process.send(reply, () => resolve()) : resolve()));
  main({ out: out!, unitId: unitId!, configHash: hash!, device: (device ?? 'auto') as DeviceSpec }).then(
    async (reply) => { await send(reply); process.exit(0); },
    async (err: unknown) => { await send({ error: err instanceof Error ? err.message : String(err) }); process.exit(1); },
  );
}
