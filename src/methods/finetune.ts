// Fine-tune on the retain set only: forgetting by catastrophic forgetting (a weak baseline).
import { F } from '../engine';
import { registerMethod } from './registry';
import type { LossMethod } from './types';

export const finetuneRetain: LossMethod = {
  kind: 'loss',
  name: 'finetune',
  description: 'continue training on the retain set only (forgets only by drift)',
  uses: { forget: false, retain: true },
  hyperparameters: {},
  loss({ model, encode }, _forget, retain) {
    const batch = encode(retain);
    const ce = F.crossEntropy(model.forward(batch).logits, batch.labels);
    return { total: ce, parts: { retain: ce } };
  },
};

registerMethod(finetuneRetain);
