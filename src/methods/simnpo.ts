// SimNPO (Fan et al. 2024, "Simplicity prevails"): NPO without the reference model,
//   L_f = −(2/β)·log σ(β·ℓ_θ/|y| − γ) per forget sample (|y| = 1 for a classifier's one label),
// plus CE on the retain batch. The reference-free margin saturates once a sample's own loss
// passes about (γ + a few)/β nats, wherever the original stood on it.
import { F } from '../engine';
import { registerMethod } from './registry';
import { forwardForgetAndRetain } from './joint-batch';
import { npoTerm } from './npo';
import type { LossMethod } from './types';

export const simnpo: LossMethod = {
  kind: 'loss',
  name: 'simnpo',
  description: 'SimNPO: -(2/beta) log sigmoid(beta CE - gamma) per forget sample + CE(retain); NPO without a reference model',
  uses: { forget: true, retain: true },
  hyperparameters: {
    lr: { default: 1e-5, help: 'ascent-like at the start, as NPO: at 5e-5 it crossed the SpamAssassin target within 4 steps and stopped 1 point above it, at 1e-5 0.4 points' },
    beta: { default: 2.5, help: 'inverse temperature: the push fades once a forget sample\'s CE passes a few multiples of 1/beta (2.5: about 1-2 nats, past a two-class coin flip at 0.69)' },
    gamma: { default: 0, help: 'reward margin subtracted inside the sigmoid (0: none)' },
    retainWeight: { default: 1, help: 'weight of CE on the retain batch' },
  },
  loss({ model, hp, encode }, forget, retain) {
    const { forgetLogits, forgetLabels, retainCe } = forwardForgetAndRetain(model, encode, forget, retain);
    const ce = F.crossEntropy(forgetLogits, forgetLabels, { reduction: 'none' });
    const forgetLoss = npoTerm(ce.sub(hp.gamma! / hp.beta!), hp.beta!);
    return { total: forgetLoss.add(retainCe.mul(hp.retainWeight!)), parts: { forget: forgetLoss, retain: retainCe } };
  },
};

registerMethod(simnpo);
