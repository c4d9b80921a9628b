// samples.jsonl: the per-sample evaluation output beside metrics.json (as open-unlearning writes
// its per-sample logs), so one record can be looked up: which set it was scored in, its true and
// predicted label, loss, true-class probability, entropy, and the reference's view of it. A tagged
// sentence is one line too, with its words' tags and the means over its words.
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
    const offsets = s.unitOffsets;
    examples.forEach((ex, i) => {
      if (offsets) {
        out.push(JSON.stringify(taggedLine(set, ex, i, offsets, s, labels, r)));
        return;
      }
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

type Scores = ModelEvaluation['scores']['forget'];

/** A tagged sentence: its words' true and predicted tags, the share right, and mean loss / confidence / entropy over its words. */
function taggedLine(set: string, ex: EvalSets['forget'][number], i: number, offsets: Int32Array, s: Scores, labels: readonly string[], r?: Scores): Record<string, unknown> {
  const from = offsets[i]!;
  const to = offsets[i + 1]!;
  const units = Array.from({ length: to - from }, (_, k) => from + k);
  const mean = (values: Float64Array) => round(units.reduce((sum, u) => sum + values[u]!, 0) / units.length);
  const tagsOf = (predictions: Int32Array | ArrayLike<number>) => units.map((u) => labels[predictions[u]!] ?? predictions[u]);
  return {
    set, id: ex.id, ...(ex.user !== undefined ? { user: ex.user } : {}), words: units.length,
    tags: units.map((u) => labels[s.labels[u]!] ?? s.labels[u]), predicted: tagsOf(s.stats.predictions),
    correct_share: round(units.filter((u) => s.stats.predictions[u] === s.labels[u]).length / units.length),
    loss: mean(s.stats.loss), confidence: mean(s.stats.confidence), entropy: mean(s.stats.entropy),
    ...(r ? { reference_predicted: tagsOf(r.stats.predictions), reference_loss: mean(r.stats.loss), reference_confidence: mean(r.stats.confidence) } : {}),
  };
}
