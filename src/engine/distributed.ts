// A process group over libtorch's c10d: TCPStore rendezvous (rank 0 hosts the store at the
// master's address) and Gloo collectives on CPU tensors. Only Gloo/CPU is built and tested
// (Debian's libtorch has no NCCL); the flags are the ones a CUDA build would take for NCCL.
import { native, type ProcessGroupHandle } from './native';
import type { Tensor } from './tensor';

/** Collectives run on flat buffers of about this many bytes (fewer, larger messages). */
export const DEFAULT_BUCKET_BYTES = 4 * 1024 * 1024;
/** Rendezvous and every collective give up after this long (a rank gone silent, an unreachable master). */
export const DEFAULT_DISTRIBUTED_TIMEOUT_MS = 300_000;

export interface MasterAddress { host: string; port: number }

export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  /** Where rank 0 hosts the rendezvous store: 'HOST:PORT' or its parts. */
  master: string | MasterAddress;
  /** Bound on the rendezvous and on every blocking collective (default DEFAULT_DISTRIBUTED_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Bucket size of allReduce and broadcast (default DEFAULT_BUCKET_BYTES). */
  bucketBytes?: number;
}

/** 'HOST:PORT' (an IPv6 host in brackets: '[::1]:29500'); a RangeError naming the value otherwise. */
export function parseMaster(value: string): MasterAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) throw new RangeError(`master address must be HOST:PORT with a port in 1..65535, got '${value}'`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Whether this addon was built with Gloo (Debian: libgloo-dev at build time). */
export function distributedAvailable(): boolean {
  return native.glooAvailable();
}

/**
 * One rank's membership of a group of `worldSize` processes. create() blocks until every rank
 * has joined or the timeout passes; collectives block until all ranks call them, or fail with
 * an Error naming this rank, the master and the timeout (a rank that died makes them fail at
 * once: its connection closes).
 */
export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly master: MasterAddress;
  readonly timeoutMs: number;
  readonly bucketBytes: number;
  private readonly handle: ProcessGroupHandle;

  private constructor(handle: ProcessGroupHandle, master: MasterAddress, timeoutMs: number, bucketBytes: number) {
    this.handle = handle;
    this.rank = handle.rank;
    this.worldSize = handle.worldSize;
    this.master = master;
    this.timeoutMs = timeoutMs;
    this.bucketBytes = bucketBytes;
  }

  static create(options: ProcessGroupOptions): ProcessGroup {
    const master = typeof options.master === 'string' ? parseMaster(options.master) : options.master;
    const timeoutMs = options.timeoutMs ?? DEFAULT_DISTRIBUTED_TIMEOUT_MS;
    const bucketBytes = options.bucketBytes ?? DEFAULT_BUCKET_BYTES;
    for (const [name, v] of [['rank', options.rank], ['worldSize', options.worldSize], ['timeoutMs', timeoutMs], ['bucketBytes', bucketBytes]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`process group: ${name} must be a non-negative integer, got ${v}`);
    }
    if (!native.glooAvailable()) throw new Error('this deepcut addon was built without Gloo: install libgloo-dev and rebuild (bash scripts/setup.sh)');
    const handle = new native.ProcessGroupHandle(master.host, master.port, options.rank, options.worldSize, timeoutMs);
    return new ProcessGroup(handle, master, timeoutMs, Math.max(1, bucketBytes));
  }

  /** Sums (or averages) the tensors in place across ranks; every rank passes the same shapes in the same order. */
  allReduce(tensors: readonly Tensor[], op: 'sum' | 'avg' = 'sum'): void {
    if (tensors.length > 0) this.handle.allReduce(tensors.map((t) => t.handle), op, this.bucketBytes);
  }

  /**
   * Sums the parameters' gradients (and `extras`, e.g. the step's loss) in place across ranks,
   * bucketed. A gradient missing on some ranks counts as zeros; one missing everywhere stays missing.
   */
  allReduceGradients(parameters: readonly Tensor[], extras: readonly Tensor[] = []): void {
    this.handle.allReduceGrads(parameters.map((t) => t.handle), extras.map((t) => t.handle), this.bucketBytes);
  }

  /** Every rank's tensors become `root`'s (in place, no autograd record). */
  broadcast(tensors: readonly Tensor[], root = 0): void {
    if (tensors.length > 0) this.handle.broadcast(tensors.map((t) => t.handle), root, this.bucketBytes);
  }

  barrier(): void {
    this.handle.barrier();
  }

  /** Leaves the group (rank 0 also stops the store). Idempotent. */
  destroy(): void {
    this.handle.destroy();
  }

  get destroyed(): boolean {
    return this.handle.destroyed;
  }
}
