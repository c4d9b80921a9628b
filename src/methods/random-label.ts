// Random labels (Golatkar et al. / Graves et al.): train the forget samples towards a random
// wrong class, with retain CE alongside so the rest of the model stays intact.
import { F, tensor } from '../engine';
import { registerMethod } from './registry';
import { forwardForgetAndRetain } from './joint-batch';
import type { LossMethod, LossResult, MethodState, StepContext } from './types';
import type { Example } from '../data';

/** CE towards a uniformly drawn wrong label on the forget batch + CE(retain) (random-label's loss; SalUn trains it through a mask). */
export function randomLabelLoss({ model, encode, random }: StepContext<MethodState>, forget: readonly Example[], retain: readonly Example[]): LossResult {
  const numLabels = model.numLabels;
  // A uniformly chosen label other than the true one (the true one would not forget anything).
  const { forgetLogits, forgetLabels, retainCe } = forwardForgetAndRetain(model, encode, forget, retain);
  // Per unit (a text, or a tagged word), in order: for texts the same draws as per example.
  const truth = forgetLabels.toNumbers();
  const wrong = truth.map((label) => (label + 1 + Math.floor(random() * (numLabels - 1))) % numLabels);
  const forgetCe = F.crossEntropy(forgetLogits, tensor(wrong, { dtype: 'int64', device: model.device }));
  return { total: forgetCe.add(retainCe), parts: { forget: forgetCe, retain: retainCe } };
}

export const randomLabel: LossMethod = {
  kind: 'loss',
  name: 'random-label',
  description: 'CE towards a random wrong label on forget + CE(retain)',
  uses: { forget: true, retain: true },
  hyperparameters: {},
  loss: randomLabelLoss,
};

registerMethod(randomLabel);
