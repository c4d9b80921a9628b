// l1-sparse (Jia et al., NeurIPS 2023, "Model sparsity can simplify machine unlearning"):
// fine-tune on the retain set with CE + α_t·‖θ‖₁, α_t decaying linearly from `alpha` to 0 over
// the step budget. The sparsity pull erodes what only the forget set supported; the decay lets
// the retain loss repair the model at the end. ‖θ‖₁ is over the weights that train (frozen
// layers, freezeLowerLayers, are left out), summed, as the paper's regulariser.
import { F, zeros, type Tensor } from '../engine';
import { registerMethod } from './registry';
import type { LossMethod } from './types';

export const l1Sparse: LossMethod = {
  kind: 'loss',
  name: 'l1-sparse',
  description: 'l1-sparse: CE(retain) + alpha_t ||theta||_1, alpha_t decaying linearly to 0 over the step budget',
  uses: { forget: false, retain: true },
  hyperparameters: {
    alpha: { default: 1e-5, help: 'initial weight of the L1 norm (summed over ~5M trainable weights of mean |w| ~0.03, so 1e-5 makes it ~1.5 nats, the size of the retain CE early in a run)' },
  },
  loss({ model, hp, step, encode }, _forget, retain) {
    const batch = encode(retain);
    const ce = F.crossEntropy(model.forward(batch).logits, batch.labels);
    const alpha = hp.alpha! * Math.max(0, 1 - step / Math.max(1, hp.steps!));
    const l1 = model.trainableParameters().reduce<Tensor>((sum, p) => sum.add(p.abs().sum()), zeros([], { device: model.device }));
    return { total: ce.add(l1.mul(alpha)), parts: { retain: ce, l1 } };
  },
};

registerMethod(l1Sparse);
