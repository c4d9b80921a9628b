// `--nproc N`: runs a command as N local data-parallel ranks (child processes of this one, a
// free loopback port for the rendezvous, the CPU threads split between them), like torchrun on
// one machine. A rank that exits non-zero or is killed stops the others, and the error names it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as os from 'node:os';

/** Flags the launcher consumes or sets for each rank. */
export const RANK_FLAGS = ['--nproc', '--rank', '--world-size', '--master'] as const;

/** A port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not find a free loopback port'))));
    });
  });
}

/** argv without the launcher's own flags (`--nproc 2` and `--nproc=2` forms). */
export function withoutRankFlags(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((RANK_FLAGS as readonly string[]).includes(a)) { i++; continue; }
    if (RANK_FLAGS.some((f) => a.startsWith(`${f}=`))) continue;
    out.push(a);
  }
  return out;
}

/** Threads per rank: the machine's (or DEEPCUT_THREADS) split evenly, at least 1. */
export function threadsPerRank(nproc: number, env: NodeJS.ProcessEnv = process.env): number {
  const own = Number(env.DEEPCUT_THREADS);
  const total = Number.isInteger(own) && own > 0 ? own : os.availableParallelism();
  return Math.max(1, Math.floor(total / nproc));
}

export interface LaunchOptions {
  nproc: number;
  /** The command's arguments after the script (process.argv.slice(2)), rank flags removed and added per rank. */
  args: readonly string[];
  /** The script to run (default: this process's). */
  script?: string;
  /** Ranks still running this long after a rank failed are killed (default 5 s). */
  graceMs?: number;
  log?: (line: string) => void;
}

interface Exit { rank: number; code: number | null; signal: NodeJS.Signals | null; at: number }

const describe = (e: Exit) => (e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`);

/**
 * Starts the ranks and waits for all of them. Resolves when every rank exited 0; rejects with an
 * Error naming the rank that failed first: one killed by a signal is named before ranks that
 * then stopped with an error of their own (they saw its connection close).
 */
export async function launchLocalRanks(options: LaunchOptions): Promise<void> {
  const port = await freeLoopbackPort();
  const master = `127.0.0.1:${port}`;
  const threads = threadsPerRank(options.nproc);
  const script = options.script ?? process.argv[1]!;
  const base = withoutRankFlags(options.args);
  options.log?.(`launching ${options.nproc} data-parallel ranks (rendezvous ${master}, ${threads} thread${threads === 1 ? '' : 's'} each)`);
  const children: ChildProcess[] = [];
  const exits: Exit[] = [];
  let failedAt: number | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const forward = (signal: NodeJS.Signals) => () => { for (const c of children) if (c.exitCode === null) c.kill(signal); };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    await new Promise<void>((resolve) => {
      for (let rank = 0; rank < options.nproc; rank++) {
        const args = [...process.execArgv.filter((a) => !a.startsWith('--test')), script, ...base, '--rank', String(rank), '--world-size', String(options.nproc), '--master', master];
        const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, DEEPCUT_THREADS: String(threads) } });
        children.push(child);
        child.on('exit', (code, signal) => {
          exits.push({ rank, code, signal, at: Date.now() });
          if ((code !== 0 || signal) && failedAt === undefined) {
            failedAt = Date.now();
            // The others would fail soon (their collectives see the closed connection) or wait out the timeout: stop them.
            for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
            killTimer = setTimeout(() => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); }, options.graceMs ?? 5000);
          }
          if (exits.length === options.nproc) resolve();
        });
      }
    });
  } finally {
    if (killTimer) clearTimeout(killTimer);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  const failures = exits.filter((e) => e.code !== 0 || e.signal);
  if (failures.length === 0) return;
  // The failures before the launcher stopped anyone; among them, one killed from outside first.
  const own = failures.filter((e) => failedAt === undefined || e.at - failedAt < 1000);
  const first = own.find((e) => e.signal !== null && e.signal !== 'SIGTERM') ?? own[0] ?? failures[0]!;
  throw new Error(`rank ${first.rank} of ${options.nproc} ${describe(first)}; the other ranks were stopped`);
}
