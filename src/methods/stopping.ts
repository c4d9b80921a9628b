// The stopping rule: unlearning is done when the forget set looks like data the model never
// saw. "Looks unseen" is measured against the validation split, which the model never trained on.
import type { Example } from '../data';
import type { SequenceTokenizer } from '../text/types';
import { predict } from '../train/predict';
import { perSampleStats } from '../eval';
import type { Classifier } from './types';

export const STOP_RULES = ['accuracy', 'loss', 'none'] as const;
export type StopRule = (typeof STOP_RULES)[number];

export const STOP_RULE_HELP: Record<StopRule, string> = {
  accuracy: 'stop once forget accuracy <= validation accuracy (the paper\'s rule)',
  loss: 'stop once the mean forget loss >= the mean validation loss (finer-grained when both accuracies are ~100%)',
  none: 'run the whole step budget',
};

export interface StopCheck {
  step: number;
  forgetAccuracy: number;
  heldoutAccuracy: number;
  forgetLoss: number;
  heldoutLoss: number;
  /** Whether the rule says the forget set now looks unseen. */
  unseen: boolean;
}

function score(model: Classifier, tokenizer: SequenceTokenizer, examples: readonly Example[], maxLength: number): { accuracy: number; loss: number } {
  const p = predict(model, tokenizer, examples, { maxLength, batchSize: 32 });
  const stats = perSampleStats(p.logits, examples.map((e) => e.label), p.numClasses);
  return { accuracy: p.accuracy, loss: stats.loss.reduce((a, b) => a + b, 0) / examples.length };
}

export function checkStop(
  model: Classifier, tokenizer: SequenceTokenizer, forget: readonly Example[], heldout: readonly Example[],
  rule: StopRule, step: number, maxLength: number,
): StopCheck {
  const f = score(model, tokenizer, forget, maxLength);
  const h = score(model, tokenizer, heldout, maxLength);
  const unseen = rule === 'accuracy' ? f.accuracy <= h.accuracy : rule === 'loss' ? f.loss >= h.loss : false;
  return { step, forgetAccuracy: f.accuracy, heldoutAccuracy: h.accuracy, forgetLoss: f.loss, heldoutLoss: h.loss, unseen };
}
