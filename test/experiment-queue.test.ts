// deepcut experiment --queue / deepcut worker: a tiny grid through a Redis of the test's own
// (redis-server on a free loopback port, in a temp folder) with 2 worker processes gives the
// results.csv of the same grid run locally; a worker SIGKILLed mid-unit leaves its job stalled,
// the other worker retakes it and resumes the unit, and the results are still the same; an
// unreachable Redis is an error naming the URL within seconds; a worker refuses a grid of
// another deepcut version or config. redis-server comes from scripts/setup.sh (Debian's
// redis-server); without it these tests fail, unless DEEPCUT_SKIP_REDIS=1 says to skip them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadDatasetFile } from '../src/data';
import { loadConfigFile, planExperiment } from '../src/experiment';
import { GRIDS_KEY, configHash, deepcutVersion, gridKey, jobIdOf, redisOptions, type GridMeta, type UnitJobData } from '../src/experiment/queue';
import { makeTinyBase, SPAM_SLICE } from './helpers/tiny-run';
import { tinyGridLines } from './helpers/tiny-grid';

const CLI = path.join(__dirname, '../src/cli/main.js');
const REDIS_SERVER = process.env.DEEPCUT_REDIS_SERVER ?? 'redis-server';
const SKIP = process.env.DEEPCUT_SKIP_REDIS === '1';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-queue-'));
// Seconds, not BullMQ's 30: a killed worker's unit is retaken within ~3 s.
const WORKER_FLAGS = ['--lock-duration', '2000', '--stalled-interval', '1000', '--poll', '300'];
const started: ChildProcess[] = [];
let redis: { url: string; process: ChildProcess } | undefined;

function redisMissing(): string | undefined {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) return undefined;
  return `${REDIS_SERVER} not found: bash scripts/setup.sh installs Debian's redis-server (apt-get install -y redis-server); DEEPCUT_SKIP_REDIS=1 skips these tests`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(root, 'redis-'));
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const client = new Redis({ ...redisOptions(url), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return { url, process: child };
    } catch {
      client.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`${REDIS_SERVER} did not answer on ${url} within 10 s`);
}

before(async () => {
  const missing = redisMissing();
  if (missing === undefined) redis = await startRedis();
  else if (!SKIP) throw new Error(missing);
});

after(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (redis) {
    redis.process.kill('SIGTERM');
    await new Promise((r) => redis!.process.once('exit', r));
  }
  fs.rmSync(root, { recursive: true, force: true });
});

interface Cli { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> }

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Cli {
  const child = spawn(process.execPath, ['--expose-gc', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEEPCUT_THREADS: '1', ...env } });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let configText: string | undefined;
/** The tiny grid of test/experiment.test.ts with one seed: 1 fine-tune, 3 unlearning runs (retrain included), 4 evaluations. */
async function tinyConfig(name: string): Promise<string> {
  if (configText === undefined) {
    makeTinyBase(path.join(root, 'base'), await loadDatasetFile(SPAM_SLICE));
    configText = tinyGridLines([0], { longDeepcut: true }).join('\n');
  }
  const file = path.join(root, `${name}.yaml`);
  fs.writeFileSync(file, `name: ${name}\nout: ${JSON.stringify(path.join(root, name))}\n${configText}\n`);
  return file;
}

function csvRows(file: string): Record<string, string>[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const keys = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [keys[i]!, v])));
}

/** results.csv without its wall-time columns (and what is computed from them). */
function measured(file: string): Record<string, string>[] {
  return csvRows(file).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/wall_seconds|speedup|seconds/.test(k))));
}

/**
 * Without the weights' hashes too: a local run retrains in the process that fine-tuned the
 * original, and that retrain's weights differ in the last bits from a retrain in a fresh process
 * (measured: the same grid resumed after deleting models/retrain gives the queue's hash), while
 * every measurement is the same. Each queued unit runs in a fresh process: queued runs agree bit for bit.
 */
function measuredWithoutHashes(file: string): Record<string, string>[] {
  return measured(file).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'model_hash' && k !== 'reference_hash')));
}

let localCsv: Promise<string> | undefined;
/** The same grid run locally by the CLI, single-threaded as the workers are (libtorch's sums depend on the thread count). */
function local(): Promise<string> {
  localCsv ??= (async () => {
    const run = cli(['experiment', '--config', await tinyConfig('local')]);
    assert.equal(await run.exit, 0, run.stdout() + run.stderr());
    return path.join(root, 'local', 'results.csv');
  })();
  return localCsv;
}

/** Stops what a test started, whether it passed or not (a worker left running would serve the next test's grid). */
async function stopAll(children: (Cli | undefined)[]): Promise<void> {
  for (const c of children) if (c && c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c?.exit));
}

const workerLines = (w: Cli, what: RegExp) => w.stdout().split('\n').filter((l) => what.test(l));

test('a tiny grid through Redis with 2 workers writes the results.csv, results.md, reports and index of a local run', { skip: SKIP && redisMissing() }, async (t) => {
  const expected = measuredWithoutHashes(await local());
  const file = await tinyConfig('queued');
  const workers = [cli(['worker', '--queue', redis!.url, ...WORKER_FLAGS]), cli(['worker', '--queue', redis!.url, ...WORKER_FLAGS])];
  const submit = cli(['experiment', '--config', file, '--queue', redis!.url]);
  t.after(() => stopAll([...workers, submit]));
  const code = await submit.exit;
  assert.equal(code, 0, `submitter:\n${submit.stdout()}\n${submit.stderr()}\nworkers:\n${workers.map((w) => w.stdout() + w.stderr()).join('\n---\n')}`);
  const out = path.join(root, 'queued');
  assert.deepEqual(measuredWithoutHashes(path.join(out, 'results.csv')), expected);
  for (const f of ['results.md', 'index.html', 'spamassassin-slice/largest-user/seed-0/report.html']) assert.ok(fs.existsSync(path.join(out, f)), f);
  assert.match(submit.stdout(), /\[8\/8 done\] /);
  assert.match(submit.stdout(), /done in \d+ s: 8 units run, 0 resumed, 0 finished earlier, 0 failed, 0 not run/);
  const ran = workers.map((w) => workerLines(w, /: (ran|resumed) \(/).length);
  t.diagnostic(`units per worker: ${ran.join(', ')}`);
  assert.equal(ran[0]! + ran[1]!, 8);
  assert.ok(ran.every((n) => n > 0), `both workers ran units: ${ran.join(', ')}`);
  // The grid has ended: the workers drop it.
  await until('the workers to drop the grid', () => workers.every((w) => /grid deepcut-\S+ ended/.test(w.stdout())), 5000);
  for (const w of workers) w.child.kill('SIGTERM');
  assert.deepEqual(await Promise.all(workers.map((w) => w.exit)), [0, 0]);
});

test('a worker SIGKILLed mid-unit: its job stalls, the other worker resumes the unit from its checkpoint, the results are the same', { skip: SKIP && redisMissing() }, async (t) => {
  const expected = measuredWithoutHashes(await local());
  const file = await tinyConfig('killed');
  const victim = cli(['worker', '--queue', redis!.url, ...WORKER_FLAGS]);
  await until('the first worker', () => victim.stdout().includes('waiting for grids'), 20_000);
  const submit = cli(['experiment', '--config', file, '--queue', redis!.url]);
  let survivor: Cli | undefined;
  t.after(() => stopAll([victim, survivor, submit]));
  // The second worker joins once the victim is inside DeepCUT's unlearning run, past its first checkpoint.
  const unit = 'unlearn spamassassin-slice/largest-user/deepcut/seed-0';
  const checkpoint = path.join(root, 'killed', 'spamassassin-slice/largest-user/seed-0/models/deepcut');
  try {
    await until('the victim to start DeepCUT (it runs the grid alone until then)', () => victim.stdout().includes(`${unit}: started`), 120_000);
    survivor = cli(['worker', '--queue', redis!.url, ...WORKER_FLAGS]);
    await until('a checkpoint in the unit folder', () => fs.existsSync(checkpoint) && fs.readdirSync(checkpoint).some((f) => /checkpoint/.test(f)), 60_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nvictim:\n${victim.stdout()}${victim.stderr()}\nsubmitter:\n${submit.stdout()}${submit.stderr()}`);
  }
  assert.ok(!victim.stdout().includes(`${unit}: ran`), 'killed mid-unit');
  victim.child.kill('SIGKILL');
  const code = await submit.exit;
  const logs = `submitter:\n${submit.stdout()}${submit.stderr()}\nvictim:\n${victim.stdout()}\nsurvivor:\n${survivor.stdout()}${survivor.stderr()}`;
  assert.equal(code, 0, logs);
  assert.match(survivor.stdout(), new RegExp(`${unit}: resumed \\(`), `the survivor resumed the killed unit from its checkpoint\n${logs}`);
  assert.match(submit.stdout(), /largest-user deepcut seed 0: unlearn: resumed an interrupted run on /);
  const results = path.join(root, 'killed', 'results.csv');
  assert.deepEqual(measuredWithoutHashes(results), expected);
  const queued = path.join(root, 'queued', 'results.csv');
  if (fs.existsSync(queued)) assert.deepEqual(measured(results), measured(queued), 'the same weights as the uninterrupted queued run');
  t.diagnostic(submit.stdout().split('\n').filter((l) => l.includes('done')).join('\n'));
  survivor.child.kill('SIGTERM');
  assert.equal(await survivor.exit, 0);
});

test('an unreachable Redis is an error naming the URL within seconds, for the submitter and the worker', { skip: SKIP && redisMissing() }, async () => {
  const file = await tinyConfig('unreachable');
  const closed = `redis://127.0.0.1:${await freePort()}`;
  // A port that accepts and never answers: the connect timeout, not a refusal, ends the wait.
  const silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const mute = `redis://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  try {
    for (const [args, url] of [
      [['experiment', '--config', file, '--queue', closed], closed], [['worker', '--queue', closed], closed],
      [['experiment', '--config', file, '--queue', mute], mute], [['worker', '--queue', mute], mute],
    ] as const) {
      const begun = Date.now();
      const run = cli([...args]);
      const code = await run.exit;
      const seconds = (Date.now() - begun) / 1000;
      assert.equal(code, 1, `${args.join(' ')}: ${run.stderr()}`);
      assert.match(run.stderr(), new RegExp(`cannot reach Redis at ${url.replace(/[.]/g, '\\.')}: .*is redis-server running there`));
      assert.ok(seconds < 10, `${args[0]} gave up after ${seconds.toFixed(1)} s`);
    }
  } finally {
    silent.close();
  }
  assert.ok(!fs.existsSync(path.join(root, 'unreachable')), 'nothing written');
  const bad = cli(['worker', '--queue', 'http://127.0.0.1:1']);
  assert.equal(await bad.exit, 2);
  assert.match(bad.stderr(), /--queue must be a redis:\/\/HOST:PORT URL, got 'http:\/\/127\.0\.0\.1:1'/);
});

test('a worker refuses a grid of another deepcut version or another config, and runs none of its units', { skip: SKIP && redisMissing() }, async () => {
  const out = path.dirname(await local()); // a finished experiment folder, its experiment.json
  const config = loadConfigFile(await tinyConfig('local'));
  const plan = planExperiment(config);
  const client = new Redis(redisOptions(redis!.url));
  const version = deepcutVersion();
  const cases = [
    { version: '0.0.0-other', hash: configHash(config), message: new RegExp(`it was submitted by deepcut 0\\.0\\.0-other, this worker is deepcut ${version.replace(/\./g, '\\.')}`) },
    { version, hash: 'f'.repeat(64), message: /its config hash ffffffffffff differs from that of .*experiment\.json \([0-9a-f]{12}\): the folder holds another experiment now/ },
  ];
  try {
    for (const [i, c] of cases.entries()) {
      const name = `deepcut-forged-${i}`;
      const meta: GridMeta = { queue: name, out, name: `forged-${i}`, configHash: c.hash, version: c.version, total: 1, submittedAt: new Date().toISOString(), submitter: 'test' };
      const queue = new Queue<UnitJobData>(name, { connection: redisOptions(redis!.url) });
      const unit = plan.units[0]!;
      await queue.add(unit.id, { unitId: unit.id, out, configHash: c.hash, version: c.version, waitFor: [] }, { jobId: jobIdOf(unit) });
      await client.set(gridKey(name), JSON.stringify(meta));
      await client.sadd(GRIDS_KEY, name);
      const worker = cli(['worker', '--queue', redis!.url, ...WORKER_FLAGS]);
      const code = await Promise.race([worker.exit, new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
      await stopAll([worker]);
      assert.equal(code, 1, worker.stdout() + worker.stderr());
      assert.match(worker.stderr(), new RegExp(`refusing grid forged-${i} \\(${out.replace(/[.]/g, '\\.')}\\): `));
      assert.match(worker.stderr(), c.message);
      assert.equal(await queue.getJobState(jobIdOf(unit)), 'waiting', 'the unit was not taken');
      assert.ok(!worker.stdout().includes('started'));
      await client.srem(GRIDS_KEY, name);
      await queue.obliterate({ force: true });
      await queue.close();
    }
  } finally {
    client.disconnect();
  }
});
