// Gradient ascent on the forget set: maximise its cross-entropy. Unbounded, so it relies on
// the stopping rule and gradient clipping; it tends to damage the rest of the model too.
import { F } from '../engine';
import { registerMethod } from './registry';
import type { LossMethod } from './types';

export const gradientAscent: LossMethod = {
  kind: 'loss',
  name: 'gradient-ascent',
  description: 'maximise cross-entropy on the forget set (negated CE), nothing else',
  uses: { forget: true, retain: false },
  hyperparameters: {
    lr: { default: 1e-5, help: 'lower than the loop default: ascent alone has nothing holding the model together' },
  },
  loss({ model, encode }, forget) {
    const batch = encode(forget);
    const ce = F.crossEntropy(model.forward(batch).logits, batch.labels);
    return { total: ce.neg(), parts: { forget: ce } };
  },
};

registerMethod(gradientAscent);
