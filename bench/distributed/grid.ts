// bench/distributed (grid part): wall time of one small grid run locally, and through a Redis
// of its own (redis-server on a free loopback port) with 1 and with 2 `deepcut worker`
// processes, each single-threaded (DEEPCUT_THREADS=1), on this machine. Prints each time and
// the 1-worker / 2-worker ratio. The grid: the tests' tiny random-init encoder on the
// SpamAssassin slice, 2 seeds x largest-user x (deepcut, gradient-ascent, retrain): 16 units.
//   node dist/bench/distributed/grid.js [--workers 1,2] [--epochs N] [--steps N] [--keep]
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadDatasetFile } from '../../src/data';
import { probeRedis } from '../../src/experiment/queue';
import { makeTinyBase, SPAM_SLICE } from '../../test/helpers/tiny-run';

const CLI = path.join(__dirname, '../../src/cli/main.js');
const { values } = parseArgs({ options: { workers: { type: 'string', default: '1,2' }, epochs: { type: 'string', default: '4' }, steps: { type: 'string', default: '40' }, keep: { type: 'boolean', default: false } } });
const counts = values.workers.split(',').map(Number);
if (counts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--workers must list positive integers, got '${values.workers}'`);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); });
  });
}

function cli(args: string[], quiet = true): { child: ChildProcess; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--expose-gc', CLI, ...args], { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'], env: { ...process.env, DEEPCUT_THREADS: '1' } });
  return { child, exit: new Promise((resolve) => child.on('exit', resolve)) };
}

async function timed(args: string[]): Promise<number> {
  const started = Date.now();
  const code = await cli(args).exit;
  if (code !== 0) throw new Error(`deepcut ${args.join(' ')} exited ${code}`);
  return (Date.now() - started) / 1000;
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-bench-grid-'));
  makeTinyBase(path.join(root, 'base'), await loadDatasetFile(SPAM_SLICE));
  const config = (name: string) => {
    const file = path.join(root, `${name}.yaml`);
    fs.writeFileSync(file, [
      `name: ${name}`, `out: ${JSON.stringify(path.join(root, name))}`, 'base_model: base', `datasets: [${JSON.stringify(SPAM_SLICE)}]`,
      'forget: [largest-user]', 'methods: [deepcut, gradient-ascent]', 'seeds: [0, 1]',
      `finetune: { epochs: ${values.epochs}, max_length: 48, lr: 0.002 }`, 'hp:',
      `  deepcut: { steps: ${values.steps}, evalEvery: 10, stopSample: 32 }`, `  gradient-ascent: { steps: ${values.steps}, evalEvery: 10, stopSample: 32 }`,
      'eval: { retain_sample: 100 }',
    ].join('\n'));
    return file;
  };
  const port = await freePort();
  const redisDir = path.join(root, 'redis');
  fs.mkdirSync(redisDir);
  const redis = spawn(process.env.DEEPCUT_REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      try { await probeRedis(url, 1000); break; } catch (err) { if (i > 50) throw err; await new Promise((r) => setTimeout(r, 200)); }
    }
    console.log(`grid: 16 units (2 fine-tunes, 6 unlearning runs, 8 evaluations), tiny encoder, ${values.epochs} epochs, ${values.steps} unlearning steps; ${os.cpus().length} cores; every process DEEPCUT_THREADS=1`);
    const local = await timed(['experiment', '--config', config('local')]);
    console.log(`local (one process):  ${local.toFixed(1)} s`);
    const times = new Map<number, number>();
    for (const n of counts) {
      const workers = Array.from({ length: n }, () => cli(['worker', '--queue', url, '--poll', '500']));
      try {
        const seconds = await timed(['experiment', '--config', config(`queued-${n}`), '--queue', url]);
        times.set(n, seconds);
        console.log(`queue, ${n} worker${n === 1 ? ' ' : 's'}:     ${seconds.toFixed(1)} s`);
      } finally {
        for (const w of workers) w.child.kill('SIGTERM');
        await Promise.all(workers.map((w) => w.exit));
      }
    }
    const one = times.get(1);
    for (const [n, t] of times) if (one !== undefined && n > 1) console.log(`speed-up ${n} workers vs 1: ${(one / t).toFixed(2)}x`);
    if (one !== undefined) console.log(`queue overhead, 1 worker vs local: ${(one / local).toFixed(2)}x (a process per unit: libtorch, the data and the models load for each)`);
  } finally {
    redis.kill('SIGTERM');
    if (!values.keep) fs.rmSync(root, { recursive: true, force: true });
    else console.log(`kept ${root}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
