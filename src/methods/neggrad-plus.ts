// NegGrad+ (Kurmanji et al. 2023): descent on retain and ascent on forget in one loss,
// beta·CE(retain) − (1 − beta)·CE(forget).
import { F } from '../engine';
import { registerMethod } from './registry';
import { forwardForgetAndRetain } from './joint-batch';
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
    const { forgetLogits, forgetLabels, retainCe } = forwardForgetAndRetain(model, encode, forget, retain);
    const forgetCe = F.crossEntropy(forgetLogits, forgetLabels);
    const beta = hp.beta!;
    return { total: retainCe.mul(beta).sub(forgetCe.mul(1 - beta)), parts: { forget: forgetCe, retain: retainCe } };
  },
};

registerMethod(neggradPlus);
