// samples.jsonl: the per-sample evaluation output beside metrics.json (as open-unlearning writes
// its per-sample logs), so one record can be looked up: which set it was scored in, its true and
// predicted label, loss, true-class probability, entropy, and the reference's view of it.
import { EVAL_SETS, type EvalSets, type ModelEvaluation } from './evaluate';

export const SAMPLES_FILE = 'samples.jsonl';

const round = (v: number): number | null => (Number.isFinite(v) ? Number(v.toPrecision(6)) : null);

/** One JSON line per scored example: forget first, then the retain sample, then test. */
export function samplesJsonl(sets: EvalSets, model: ModelEvaluation, labels: readonly string[], reference?: ModelEvaluation): string {
  const out: string[] = [];
  for (const set of EVAL_SETS) {
    const examples = sets[set];
    const s = model.scores[set];
    const r = reference?.scores[set];
    examples.forEach((ex, i) => {
      const predicted = s.stats.predictions[i]!;
      out.push(JSON.stringify({
        set, id: ex.id, ...(ex.user !== undefined ? { user: ex.user } : {}), label: ex.labelName, predicted: labels[predicted] ?? predicted,
        correct: predicted === ex.label, loss: round(s.stats.loss[i]!), confidence: round(s.stats.confidence[i]!), entropy: round(s.stats.entropy[i]!),
        ...(r ? { reference_predicted: labels[r.stats.predictions[i]!] ?? r.stats.predictions[i], reference_loss: round(r.stats.loss[i]!), reference_confidence: round(r.stats.confidence[i]!) } : {}),
      }));
    });
  }
  return out.map((l) => `${l}\n`).join('');
}
