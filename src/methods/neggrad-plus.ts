// NegGrad+ (Kurmanji et al. 2023): descent on retain and ascent on forget in one loss,
// beta·CE(retain) − (1 − beta)·CE(forget).
import { F } from '../engine';
import { registerMethod } from './registry';
import type { LossMethod } from './types';

export const neggradPlus: LossMethod = {
  kind: 'loss',
  name: 'neggrad-plus',
  description: 'beta x CE(retain) - (1 - beta) x CE(forget): ascent on forget, held in place by retain',
  uses: { forget: true, retain: true },
  hyperparameters: {
    beta: { default: 0.9, help: 'share of the retain term; the ascent term is unbounded, so it gets the small share' },
  },
  loss({ model, hp, encode }, forget, retain) {
    const batch = encode([...forget, ...retain]);
    const logits = model.forward(batch).logits;
    const nf = forget.length;
    const forgetCe = F.crossEntropy(logits.narrow(0, 0, nf), batch.labels.narrow(0, 0, nf));
    const retainCe = F.crossEntropy(logits.narrow(0, nf, retain.length), batch.labels.narrow(0, nf, retain.length));
    const beta = hp.beta!;
    return { total: retainCe.mul(beta).sub(forgetCe.mul(1 - beta)), parts: { forget: forgetCe, retain: retainCe } };
  },
};

registerMethod(neggradPlus);
