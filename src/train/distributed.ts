// Data-parallel fine-tuning over a c10d process group (src/engine/distributed.ts), the steps
// finetune() takes when it is given one:
//  - the start: every parameter and buffer broadcast from rank 0 (after the linear probe, which
//    every rank computes itself: see syncModel);
//  - each step: every rank takes its contiguous share of the global batch (shardOf), weighs its
//    mean loss by its share of the batch's labelled units (rows; a tagger's words: counted by one
//    small all-reduce), and the gradients are summed across ranks in buckets, so the summed
//    gradient is the gradient of the mean over the whole global batch, however
//    unevenly the last batch divides (a rank with no rows adds zeros);
//  - clipping and the optimiser step then run on identical gradients, so the weights stay
//    identical on every rank without further communication;
//  - decisions (validation, early stopping, resuming) are rank 0's, broadcast, so no rank can
//    take another branch than the others and wait forever in a collective.
import { tensor, scope, noGrad, type ProcessGroup, type Tensor } from '../engine';
import type { Module } from '../nn';

/** Rows [start, end) of a global batch of `size` rows that `rank` of `worldSize` trains on. */
export function shardRange(size: number, rank: number, worldSize: number): { start: number; end: number } {
  // np.array_split's rule: the first size % W ranks take one row more.
  const base = Math.floor(size / worldSize);
  const extra = size % worldSize;
  const start = rank * base + Math.min(rank, extra);
  return { start, end: start + base + (rank < extra ? 1 : 0) };
}

export class DataParallel {
  constructor(readonly group: ProcessGroup) {}

  get rank(): number { return this.group.rank; }
  get worldSize(): number { return this.group.worldSize; }
  /** Rank 0 writes checkpoints, outputs and logs. */
  get isLeader(): boolean { return this.group.rank === 0; }

  /** This rank's contiguous share of a global batch (empty when the batch has fewer rows than ranks). */
  shardOf<T>(batch: readonly T[]): T[] {
    const { start, end } = shardRange(batch.length, this.rank, this.worldSize);
    return batch.slice(start, end);
  }

  /**
   * Makes every rank's weights rank 0's: parameters and buffers, in state-dict order (the same
   * on every rank). Called once training starts: after the linear probe (every rank fits the
   * same head on the same features, so no rank idles in a collective for the probe's minutes;
   * the broadcast then also erases any last-bit difference between machines' thread counts)
   * and after a resume.
   */
  syncModel(model: Module): void {
    this.group.broadcast([...model.stateDict().values()], 0);
  }

  /** Rank 0's numbers, on every rank (float64: accuracies and flags arrive exactly). */
  leaderValues(values: readonly number[]): number[] {
    return scope(() => {
      const t = tensor(values.map((v) => (Number.isNaN(v) ? 0 : v)), { dtype: 'float64' });
      const isNaN = tensor(values.map((v) => (Number.isNaN(v) ? 1 : 0)), { dtype: 'float64' });
      this.group.broadcast([t, isNaN], 0);
      const got = t.toArray() as Float64Array;
      const nan = isNaN.toArray() as Float64Array;
      return Array.from(got, (v, i) => (nan[i] ? NaN : v));
    });
  }

  /**
   * The start of training, after the linear probe or a resume: the model's weights (and the
   * best-so-far copy, when there is one) become rank 0's, and so does the best accuracy, so
   * early stopping compares the same numbers on every rank.
   */
  start(model: Module, best?: { accuracy: number; state: Map<string, Tensor> }): void {
    this.syncModel(model);
    if (!best) return;
    this.group.broadcast([...best.state.values()], 0);
    best.accuracy = this.leaderValues([best.accuracy])[0]!;
  }

  /**
   * Whether to resume: rank 0's answer. A rank that cannot read the checkpoint rank 0 resumes
   * from stops with an error (ranks on several machines resume only from a shared folder).
   */
  agreeToResume(canResume: boolean, dir: string | undefined): boolean {
    const resume = this.leaderValues([canResume ? 1 : 0])[0] === 1;
    if (resume && !canResume) {
      throw new Error(`rank ${this.rank}: rank 0 resumes from the checkpoint in ${dir ?? '(no folder)'}, which this rank cannot read (on several machines, resuming needs --out on a folder they share)`);
    }
    return resume;
  }

  /** Rank 0 scores (validation), the others wait for its accuracy and macro-F1. */
  leaderScore(score: () => { accuracy: number; macroF1: number }): { accuracy: number; macroF1: number } {
    const mine = this.isLeader ? score() : { accuracy: NaN, macroF1: NaN };
    const [accuracy, macroF1] = this.leaderValues([mine.accuracy, mine.macroF1]);
    return { accuracy: accuracy!, macroF1: macroF1! };
  }

  /**
   * One step's backward on this rank's share `rows` of a global batch: `meanLoss(rows)` is the
   * mean loss over those rows' labelled units (a text is one; a tagged sentence one per word in
   * the window) with their count, built in the caller's scope. The counts are summed across ranks
   * first, so each rank's gradient is weighted by units/global units and the sum over ranks is the
   * global batch's mean-loss gradient, however the words fall; it is summed with the other ranks'
   * into every trainable parameter's .grad. Returns the global batch's mean loss (the same on
   * every rank), a one-element tensor of the caller's scope. Call inside a scope().
   */
  backward<T>(rows: readonly T[], parameters: readonly Tensor[], meanLoss: (rows: readonly T[]) => { loss: Tensor; units: number }): Tensor {
    // In the caller's scope: the returned loss is the caller's.
    const total = tensor([0], { dtype: 'float32' });
    const mine = rows.length > 0 ? meanLoss(rows) : undefined;
    const units = tensor([mine?.units ?? 0], { dtype: 'float32' });
    this.group.allReduce([units]);
    const globalUnits = units.item();
    if (mine && mine.units > 0) {
      const weighted = mine.loss.mul(mine.units / globalUnits);
      weighted.backward();
      noGrad(() => total.copy_(weighted.detach().reshape([1])));
    }
    this.group.allReduceGradients(parameters, [total]);
    return total;
  }

  /** Waits until every rank arrives (bounded by the group's timeout). */
  barrier(): void {
    this.group.barrier();
  }
}
