// The data-parallel flags of `deepcut finetune`: --nproc N (local ranks, launch.ts) or
// --rank/--world-size/--master (one rank of a group on several machines), the flags a CUDA
// libtorch would take for NCCL; only Gloo on the CPU is built and tested.
import type { Command } from 'commander';
import { CliError, nonNegativeInt, parseFlag, positiveInt, positiveNumber } from './args';
import { DEFAULT_DISTRIBUTED_TIMEOUT_MS, parseMaster, type MasterAddress } from '../engine/distributed';

export interface DistributedFlags { nproc?: string; rank?: string; worldSize?: string; master?: string; distTimeout: string }

export type DistributedPlan =
  | { kind: 'launch'; nproc: number }
  | { kind: 'rank'; rank: number; worldSize: number; master: MasterAddress; timeoutMs: number };

export function addDistributedOptions(command: Command): Command {
  return command
    .option('--nproc <n>', 'data-parallel fine-tuning: run N ranks on this machine (processes; the CPU threads are split between them)')
    .option('--rank <r>', 'data-parallel on several machines: this process\'s rank, 0..world size - 1 (rank 0 hosts the rendezvous and writes --out)')
    .option('--world-size <n>', 'data-parallel on several machines: ranks in all')
    .option('--master <addr:port>', 'data-parallel on several machines: the address of rank 0\'s machine and a free port on it')
    .option('--dist-timeout <s>', 'data-parallel: seconds the rendezvous and each collective wait for the other ranks', String(DEFAULT_DISTRIBUTED_TIMEOUT_MS / 1000));
}

/** What the flags ask for: undefined (one process), launching local ranks, or being one rank. */
export function distributedPlan(f: DistributedFlags): DistributedPlan | undefined {
  const joined = [f.rank, f.worldSize, f.master].filter((v) => v !== undefined).length;
  if (f.nproc !== undefined) {
    if (joined > 0) throw new CliError('--nproc launches its own ranks: pass either --nproc or --rank/--world-size/--master');
    const nproc = positiveInt(f.nproc, '--nproc');
    return nproc === 1 ? undefined : { kind: 'launch', nproc };
  }
  if (joined === 0) return undefined;
  if (joined < 3) throw new CliError('joining a data-parallel group needs all of --rank, --world-size and --master');
  const worldSize = positiveInt(f.worldSize!, '--world-size');
  const rank = nonNegativeInt(f.rank!, '--rank');
  if (rank >= worldSize) throw new CliError(`--rank ${rank} must be below --world-size ${worldSize}`);
  const master = parseFlag(() => parseMaster(f.master!));
  const timeoutMs = Math.round(positiveNumber(f.distTimeout, '--dist-timeout') * 1000);
  return { kind: 'rank', rank, worldSize, master, timeoutMs };
}
