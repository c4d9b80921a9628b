// Bad Teacher (Chundawat et al., AAAI 2023): the student starts as the original. On retain
// samples it is distilled towards the competent teacher (the frozen original), on forget samples
// towards an incompetent one (a randomly initialised copy), with KL(teacher ‖ student) per sample
// on log-probabilities, averaged over the forget and retain samples of the step together (the
// paper mixes both in one batch). Forgetting means predicting on the forget set what a model that
// learnt nothing predicts, not the opposite label.
import { cat, noGrad } from '../engine';
import { initWeights } from '../model';
import { registerMethod } from './registry';
import { distillationKl } from './contrastive';
import type { Classifier, LossMethod, MethodState } from './types';

interface BadTeacherState extends MethodState {
  competent: Classifier;
  incompetent: Classifier;
}

export const badTeacher: LossMethod<BadTeacherState> = {
  kind: 'loss',
  name: 'bad-teacher',
  description: 'Bad Teacher: KL to the frozen original on retain, KL to a randomly initialised copy on forget (per sample)',
  uses: { forget: true, retain: true },
  hyperparameters: {
    temperature: { default: 1, help: 'distillation temperature (1: the teachers\' own probabilities, as in the paper)' },
  },
  setup({ loadOriginal }) {
    const competent = loadOriginal();
    competent.eval();
    // Seeded by the loop before setup: the same incompetent teacher on every run with this seed.
    const incompetent = loadOriginal();
    initWeights(incompetent, incompetent.config.initializerRange);
    incompetent.eval();
    return { competent, incompetent, dispose: () => { competent.dispose(); incompetent.dispose(); } };
  },
  loss({ model, hp, state, encode }, forget, retain) {
    const teacher = noGrad(() => cat([state.incompetent.forward(encode(forget)).logits, state.competent.forward(encode(retain)).logits], 0));
    const batch = encode([...forget, ...retain]);
    const student = model.forward(batch).logits;
    const nf = batch.unitOffsets[forget.length]!;
    const nr = batch.unitOffsets[batch.size]! - nf;
    const kl = distillationKl(student, teacher, hp.temperature!);
    // Logged apart (not part of the objective): how far each side is from its teacher.
    const parts = noGrad(() => ({
      forget_kl: distillationKl(student.narrow(0, 0, nf).detach(), teacher.narrow(0, 0, nf), hp.temperature!),
      retain_kl: distillationKl(student.narrow(0, nf, nr).detach(), teacher.narrow(0, nf, nr), hp.temperature!),
    }));
    return { total: kl, parts };
  },
};

registerMethod(badTeacher);
