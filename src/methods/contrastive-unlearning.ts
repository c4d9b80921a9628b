// Contrastive Unlearning (Lee et al., arXiv 2401.10458), as DEVELOPERS.md writes it:
// 3·L_UL + 1·CE(retain), tau 0.7, each forget batch reused with K = 4 fresh retain batches.
// One view per sample; features are the pooled output (the classifier's input).
import { F } from '../engine';
import { registerMethod } from './registry';
import { contrastiveUnlearningLoss } from './contrastive';
import type { LossMethod } from './types';

export const contrastiveUnlearning: LossMethod = {
  kind: 'loss',
  name: 'contrastive-unlearning',
  description: 'Lee et al. 2024: 3 x L_UL (forget anchors vs retain batch, tau 0.7) + CE(retain), K=4 retain batches per forget batch',
  uses: { forget: true, retain: true },
  hyperparameters: {
    lr: { default: 1e-5, help: 'the same learning rate as deepcut (same loss family, a fair comparison)' },
    ulWeight: { default: 3, help: 'weight of L_UL (the paper\'s 3)' },
    temperature: { default: 0.7, help: 'the paper\'s tau' },
    retainPerForget: { default: 4, help: 'the paper\'s K: fresh retain batches per forget batch' },
  },
  loss({ model, hp, encode }, forget, retain) {
    const batch = encode([...forget, ...retain]);
    const out = model.forward(batch);
    const nf = batch.unitOffsets[forget.length]!; // units: a tagged sentence has one per word
    const nr = batch.unitOffsets[batch.size]! - nf;
    const retainLabels = batch.labels.narrow(0, nf, nr);
    const ul = contrastiveUnlearningLoss(out.pooled.narrow(0, 0, nf), batch.labels.narrow(0, 0, nf), out.pooled.narrow(0, nf, nr), retainLabels, hp.temperature!);
    const ce = F.crossEntropy(out.logits.narrow(0, nf, nr), retainLabels);
    return { total: ul.mul(hp.ulWeight!).add(ce), parts: { forget: ul, retain: ce } };
  },
};

registerMethod(contrastiveUnlearning);
