// SalUn (Fan et al., ICLR 2024, "Saliency unlearning"): measure the gradient of the forget set's
// cross-entropy at the original weights, keep the `share` of weights with the largest |gradient|
// (the salient ones), then train random labels on the forget batch + CE on the retain batch
// through those weights only (every other weight's gradient is zeroed before the optimiser step).
// The weights the forget set does not move stay exactly as they were.
import { cat, F, keep, noGrad, scope, type Tensor } from '../engine';
import { chunks } from '../train/batches';
import { registerMethod } from './registry';
import { randomLabelLoss } from './random-label';
import type { LossMethod, MethodState } from './types';

interface SalunState extends MethodState {
  /** One 0/1 float mask per trainable parameter, in model.trainableParameters() order. */
  masks: Tensor[];
  /** The share of trainable weights the masks keep (the requested share, up to ties at the threshold). */
  kept: number;
}

export const salun: LossMethod<SalunState> = {
  kind: 'loss',
  name: 'salun',
  description: 'SalUn: random labels on forget + CE(retain), trained only through the weights with the largest forget-loss gradient',
  uses: { forget: true, retain: true },
  hyperparameters: {
    share: { default: 0.5, help: 'share of trainable weights updated, ranked by |gradient of the forget CE| at the original weights (the paper\'s 50%)' },
  },
  setup({ model, hp, forget, encode }) {
    const share = hp.share!;
    if (!(share > 0 && share <= 1)) throw new Error(`salun: share must be in (0, 1], got ${share}`);
    const params = model.trainableParameters();
    // Gradient of the mean forget CE over the whole forget set, accumulated batch by batch, eval mode.
    const wasTraining = model.training;
    model.eval();
    const zeroGrads = () => scope(() => { for (const p of params) p.grad?.fill_(0); });
    zeroGrads();
    // The mean is over labelled units (a tagged sentence has one per word), counted first.
    const units = chunks(forget, 32).reduce((n, part) => n + scope(() => encode(part).unitOffsets[part.length]!), 0);
    for (const part of chunks(forget, 32)) {
      scope(() => {
        const batch = encode(part);
        F.crossEntropy(model.forward(batch).logits, batch.labels, { reduction: 'sum' }).div(units).backward();
      });
    }
    model.train(wasTraining);
    const { masks, kept } = noGrad(() => scope(() => {
      const magnitudes = params.map((p) => (p.grad ? p.grad.abs() : p.mul(0)));
      const flat = cat(magnitudes.map((m) => m.reshape([-1])), 0);
      const k = Math.max(1, Math.round(share * flat.numel));
      const threshold = flat.topk(k).values.minAll().item();
      const made = magnitudes.map((m) => keep(m.ge(threshold).float()));
      const total = made.reduce((n, m) => n + m.sum().item(), 0);
      return { masks: made, kept: total / flat.numel };
    }));
    zeroGrads();
    return { masks, kept, dispose: () => masks.forEach((m) => m.dispose()) };
  },
  loss: randomLabelLoss,
  afterBackward({ model, state }) {
    noGrad(() => scope(() => {
      model.trainableParameters().forEach((p, i) => {
        const g = p.grad;
        if (g) g.copy_(g.mul(state.masks[i]!));
      });
    }));
  },
};

registerMethod(salun);
