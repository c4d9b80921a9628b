// Learning-rate schedules, as functions from step (0-based) to learning rate.

export type LrSchedule = (step: number) => number;

/**
 * Linear warm-up from 0 to peakLr over warmupSteps, then linear decay to 0 at
 * totalSteps (Hugging Face's get_linear_schedule_with_warmup).
 */
export function linearWarmupDecay(peakLr: number, warmupSteps: number, totalSteps: number): LrSchedule {
  if (totalSteps <= 0) throw new RangeError('totalSteps must be positive');
  if (warmupSteps < 0 || warmupSteps > totalSteps) throw new RangeError('warmupSteps must be in [0, totalSteps]');
  return (step) => {
    if (step < warmupSteps) return (peakLr * step) / Math.max(1, warmupSteps);
    return peakLr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}

export const constantLr = (lr: number): LrSchedule => () => lr;
