/**
 * A stopping timeline from what an unlearning run recorded (unlearn.json's stop, checks, target
 * and chosen_check), typed structurally so the report does not depend on the methods.
 */
import type { StoppingTimeline } from './types';

export interface RecordedStopping {
  stop: string;
  steps: number;
  checks?: readonly { step: number; forgetAccuracy: number; heldoutAccuracy?: number; fine?: boolean }[];
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
    checks: record.checks.map((c) => ({ step: c.step, forgetAccuracy: c.forgetAccuracy, ...(c.heldoutAccuracy !== undefined ? { heldoutAccuracy: c.heldoutAccuracy } : {}), ...(c.fine ? { fine: true } : {}) })),
    ...(record.target ? { target: { accuracy: record.target.accuracy, source: record.target.source } } : {}),
    chosenStep: record.chosen_check?.step ?? record.steps,
    ...(context.retrainForgetAccuracy !== undefined ? { retrainForgetAccuracy: context.retrainForgetAccuracy } : {}),
    ...(context.testAccuracy ? { testAccuracy: context.testAccuracy } : {}),
  };
}
