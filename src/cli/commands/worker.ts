// `deepcut worker --queue redis://HOST:PORT`: runs the units of the grids that
// `deepcut experiment --queue` put on that Redis, until stopped (Ctrl-C, SIGTERM).
import type { Command } from 'commander';
import { parseFlag, positiveInt } from '../args';
import { DEVICE_HELP } from '../device';
import { parseDeviceSpec } from '../../engine/device';

interface WorkerFlags { queue: string; concurrency: string; device: string; lockDuration?: string; stalledInterval?: string; maxStalled?: string; poll?: string }

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run the units of grids queued with `deepcut experiment --queue` (needs the grids\' output folders at the same paths: a shared filesystem)')
    .requiredOption('--queue <url>', 'the Redis the grids were queued on (redis://HOST:PORT)')
    .option('--concurrency <n>', 'units run at once, each in its own process', '1')
    .option('--device <device>', DEVICE_HELP, 'auto')
    .option('--lock-duration <ms>', 'how long a unit\'s lock lasts unrenewed: a killed worker\'s unit is retaken after about this plus the stalled interval (default 30000)')
    .option('--stalled-interval <ms>', 'ms between checks for units whose worker died (default 15000)')
    .option('--max-stalled <n>', 'times a unit may lose its worker before it fails (default 3)')
    .option('--poll <ms>', 'ms between looks for new grids and for a running dependency (default 2000)')
    .action(async (f: WorkerFlags) => {
      const queue = await import('../../experiment/queue');
      const ms = (value: string | undefined, flag: string) => (value === undefined ? undefined : positiveInt(value, flag));
      parseFlag(() => queue.redisOptions(f.queue));
      const device = parseFlag(() => parseDeviceSpec(f.device, '--device'));
      const lockDuration = ms(f.lockDuration, '--lock-duration');
      const stalledInterval = ms(f.stalledInterval, '--stalled-interval');
      const maxStalledCount = ms(f.maxStalled, '--max-stalled');
      const pollMs = ms(f.poll, '--poll');
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => { stop = resolve; });
      const onSignal = (signal: string) => {
        console.log(`worker: ${signal}: stopping (running units are killed; their jobs are retaken by other workers)`);
        stop();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await queue.runGridWorker({
          url: f.queue, concurrency: positiveInt(f.concurrency, '--concurrency'), device, stop: stopped, log: (line) => console.log(line),
          ...(lockDuration !== undefined ? { lockDuration } : {}), ...(stalledInterval !== undefined ? { stalledInterval } : {}),
          ...(maxStalledCount !== undefined ? { maxStalledCount } : {}), ...(pollMs !== undefined ? { pollMs } : {}),
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
