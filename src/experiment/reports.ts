// One HTML report per (dataset, forget, seed) — the original, every method and retrain side by
// side: summary table, a latent scatter per model (forget samples highlighted), per-method bars
// and the unlearning loss curves — and the index page linking them all.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REFERENCES_FILE, readReferencesManifest } from '../methods/target/manifest';
import { measurementMap } from '../report/evaluation';
import { latentForReport, stoppingTimelineOf, type ModelReport, type ReportIndexEntry, type ReportInput } from '../report';
import { REFERENCE_METHOD } from './config';
import type { CellResults, ModelResult } from './collect';
import { ORIGINAL } from './plan';

function metricMap(model: ModelResult): Record<string, number> {
  return { ...measurementMap(model.metrics), wall_seconds: model.wallSeconds };
}

export function cellReportInput(results: CellResults, options: { experiment: string; labels: readonly string[]; createdAt?: string }): ReportInput {
  const { cell } = results;
  const first = results.models[0];
  const models: ModelReport[] = results.models.map((m) => ({
    name: m.name, metrics: metricMap(m), ...(m.latent ? { latent: latentForReport(m.latent, options.labels) } : {}),
  }));
  const unlearned = results.models.filter((m) => m.name !== ORIGINAL);
  const retrain = results.models.find((m) => m.name === REFERENCE_METHOD);
  const speedups = unlearned
    .filter((m) => m.name !== REFERENCE_METHOD && retrain)
    .map((m) => `${m.name} ${(retrain!.wallSeconds / m.wallSeconds).toFixed(1)}x`);
  return {
    title: `${options.experiment}: ${cell.dataset.key}, forget ${cell.forget.spec}, seed ${cell.seed}`,
    dataset: cell.dataset.key,
    forget: { spec: cell.forget.spec, count: first?.metrics.forget.count ?? 0, hash: first?.metrics.forget.hash ?? '' },
    createdAt: options.createdAt ?? new Date().toISOString(),
    models,
    referenceModel: REFERENCE_METHOD,
    methods: Object.fromEntries(unlearned.map((m) => [m.name, metricMap(m)])),
    stoppingTimelines: Object.fromEntries(unlearned.flatMap((m) => {
      const original = results.models.find((o) => o.name === ORIGINAL);
      const timeline = m.stopping && stoppingTimelineOf(m.stopping, {
        ...(retrain ? { retrainForgetAccuracy: retrain.metrics.accuracy.forget } : {}),
        ...(original ? { testAccuracy: { before: original.metrics.accuracy.test, after: m.metrics.accuracy.test } } : {}),
      });
      return timeline ? [[m.name, timeline]] : [];
    })),
    lossCurves: Object.fromEntries(unlearned.filter((m) => m.losses && m.losses.length > 0).map((m) => [m.name, m.losses!])),
    notes: [
      `${ORIGINAL}: fine-tuned from the base encoder on the whole train split; every other model starts from it. ${REFERENCE_METHOD}: fine-tuned again without the forget set (the gold standard).`,
      `Time is the wall time of producing each model (the fine-tune for ${ORIGINAL}, the unlearning run otherwise).${speedups.length > 0 ? ` Speed-up over ${REFERENCE_METHOD}: ${speedups.join(', ')}.` : ''}`,
      `Scored ${first?.metrics.forget.count ?? 0} forget, ${first?.metrics.retain.scored ?? 0} of ${first?.metrics.retain.count ?? 0} retain and ${first?.metrics.test.count ?? 0} test examples.`,
      ...referencesNote(cell.referencesDir),
      ...(results.missing.length > 0 ? [`Missing (failed or not yet run): ${results.missing.join(', ')}.`] : []),
    ],
  };
}

/** The one-time cost of the cell's reference models (stop: references), when they are on disk. */
function referencesNote(dir: string | undefined): string[] {
  if (dir === undefined || !fs.existsSync(path.join(dir, REFERENCES_FILE))) return [];
  const m = readReferencesManifest(dir);
  const seconds = m.partitions.reduce((sum, p) => sum + (p.wall_seconds ?? 0), 0);
  return [`Stopping targets came from ${m.k} reference models trained once beside ${ORIGINAL} on subject-disjoint partitions (${seconds.toFixed(0)} s in all, shared by every forget request of this original and not counted in the methods' times).`];
}

/** Index rows: one per model of each cell, linking to the cell's report (paths relative to the index). */
export function indexEntries(all: readonly CellResults[], indexDir: string): ReportIndexEntry[] {
  return all.flatMap((results) =>
    results.models.map((m) => ({
      title: `${results.cell.dataset.key} / ${results.cell.forget.spec} / seed ${results.cell.seed}`,
      dataset: results.cell.dataset.key,
      forgetSpec: results.cell.forget.spec,
      method: m.name,
      seed: results.cell.seed,
      href: path.relative(indexDir, results.cell.report).split(path.sep).join('/'),
      metrics: metricMap(m),
    })),
  );
}
