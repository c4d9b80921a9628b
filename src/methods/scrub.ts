// SCRUB (Kurmanji et al., NeurIPS 2023): the student starts as the original model and the
// original is a frozen teacher. Max-steps push the student's predictions on forget samples
// away from the teacher's (maximise KL); min-steps keep them close on retain (minimise KL)
// plus retain CE. Max-steps alternate with min-steps for the first `maxSteps` steps only, then
// min-steps alone repair the retain performance.
import { F, noGrad } from '../engine';
import { registerMethod } from './registry';
import { distillationKl } from './contrastive';
import type { Classifier, LossMethod, LossResult, MethodState } from './types';

interface ScrubState extends MethodState {
  teacher: Classifier;
}

export const scrub: LossMethod<ScrubState> = {
  kind: 'loss',
  name: 'scrub',
  description: 'SCRUB: teacher-student distillation, max KL on forget / min KL + CE on retain, alternating',
  uses: { forget: true, retain: true },
  hyperparameters: {
    maxSteps: { default: 60, help: 'steps during which max-steps (even steps) alternate with min-steps' },
    alpha: { default: 1, help: 'weight of the retain KL to the teacher in min-steps' },
    gamma: { default: 1, help: 'weight of retain CE in min-steps' },
    temperature: { default: 2, help: 'distillation temperature (T = 2, as in the SCRUB authors\' code)' },
  },
  setup({ loadOriginal }) {
    const teacher = loadOriginal();
    teacher.eval();
    return { teacher, dispose: () => teacher.dispose() };
  },
  loss({ model, step, hp, state, encode }, forget, retain): LossResult {
    const maxStep = step < hp.maxSteps! && step % 2 === 0;
    const batch = encode(maxStep ? forget : retain);
    const student = model.forward(batch).logits;
    const teacher = noGrad(() => state.teacher.forward(batch).logits);
    const kl = distillationKl(student, teacher, hp.temperature!);
    if (maxStep) return { total: kl.neg(), parts: { forget_kl: kl } };
    const ce = F.crossEntropy(student, batch.labels);
    return { total: kl.mul(hp.alpha!).add(ce.mul(hp.gamma!)), parts: { retain_kl: kl, retain: ce } };
  },
};

registerMethod(scrub);
