/**
 * A stopping timeline from what an unlearning run recorded (unlearn.json's stop, checks, target
 * and chosen_check), typed structurally so the report does not depend on the methods.
 */
import type { StoppingTimeline } from './types';

export interface RecordedStopping {
  stop: string;
  steps: number;
  /** snake_case (forget_accuracy, heldout_accuracy) since 2026-12-03; camelCase in older records: both are read. */
  checks?: readonly ({ step: number; fine?: boolean } & ({ forget_accuracy: number; heldout_accuracy?: number } | { forgetAccuracy: number; heldoutAccuracy?: number }))[];
  target?: { accuracy: number; source: string };
  chosen_check?: { step: number };
}

/** Undefined for runs without checks (retrain, SISA, or a record from before checks were kept). */
export function stoppingTimelineOf(
  record: RecordedStopping,
  context: { retrainForgetAccuracy?: number; testAccuracy?: { before: number; after: number } } = {},
): StoppingTimeline | undefined {
  if (!record.checks || record.checks.length === 0) return undefined;
  return {
    rule: record.stop,
    checks: record.checks.map((c) => {
      const [forgetAccuracy, heldoutAccuracy] = 'forget_accuracy' in c ? [c.forget_accuracy, c.heldout_accuracy] : [c.forgetAccuracy, c.heldoutAccuracy];
      return { step: c.step, forgetAccuracy, ...(heldoutAccuracy !== undefined ? { heldoutAccuracy } : {}), ...(c.fine ? { fine: true } : {}) };
    }),
    ...(record.target ? { target: { accuracy: record.target.accuracy, source: record.target.source } } : {}),
    chosenStep: record.chosen_check?.step ?? record.steps,
    ...(context.retrainForgetAccuracy !== undefined ? { retrainForgetAccuracy: context.retrainForgetAccuracy } : {}),
    ...(context.testAccuracy ? { testAccuracy: context.testAccuracy } : {}),
  };
}
