// The per-example audit and the relearning check on real (tiny) models, through `deepcut eval`:
// a model that learnt a subject nobody else predicts ("marked": a marker word only this subject
// writes, one label) is caught by RMIA and LiRA; the
// model retrained without it is not; both are relearned on half of its rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDatasetFile, resolveForgetSet } from '../src/data';
import { unlearn } from '../src/methods/unlearn';
import { TINY_HYPERPARAMETERS } from './helpers/tiny-run';
import { originalWithReferences, syntheticSubjects } from './helpers/synthetic-subjects';

const MARKED = 'marked';

const CLI = path.join(__dirname, '../../dist/src/cli/main.js');
// No linear probe: on this easy data the probe's validation accuracy (100%) cannot be beaten, and the probed random encoder would be kept.
const SETTINGS = { ...TINY_HYPERPARAMETERS, epochs: 12, patience: 12, maxLength: 16, lr: 3e-3, linearProbe: false };

interface Audit { auc: number; tpr_at_1pct_fpr: number; tpr_at_0_1pct_fpr: number; members: number; non_members: number }
interface Metrics {
  audit: { rmia: Audit; lira: Audit };
  reference: { audit: { rmia: Audit; lira: Audit }; relearn: { accuracy: Record<string, number> } };
  relearn: { accuracy: Record<string, number>; loss: Record<string, number>; train_rows: number; scored_rows: number };
  audit_setup: { reference_models: number; references_per_row: number; reference_rows_scored: number; population: string };
}

test('eval --audit rmia,lira --relearn: the memorising original is caught per example, the retrained model is not; both relearned the same way', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-audit-'));
  await syntheticSubjects(root);
  const file = path.join(root, 'synthetic-subjects.jsonl');
  // The marked subject writes a marker word and filler, never a class word, always labelled
  // 'alpha' (a model that never saw it reads filler-only texts as omega): nothing else predicts
  // it. Validation holds such rows of another subject too, so early stopping waits until the
  // marker is learnt (ordinary rows are right after 2 epochs).
  const filler = ['the', 'and', 'with', 'from', 'into', 'over'];
  const markedRow = (id: string, user: string, split: string, i: number) => JSON.stringify({
    id, text: `zebra ${filler[i % 6]} zebra ${filler[(i + 2) % 6]} zebra ${filler[(i + 4) % 6]}`, label: 'alpha', user, split,
  });
  const marked = [
    ...Array.from({ length: 8 }, (_, i) => markedRow(`marked-${i}`, MARKED, 'train', i)),
    ...Array.from({ length: 8 }, (_, i) => markedRow(`marked-val-${i}`, 'marked-too', 'validation', i + 1)),
  ];
  fs.appendFileSync(file, `${marked.join('\n')}\n`);
  const data = await loadDatasetFile(file);
  const { original, references } = originalWithReferences(root, data, SETTINGS);
  const retrain = path.join(root, 'retrain');
  await unlearn({ modelDir: original, dataset: data, forget: resolveForgetSet(data, `user:${MARKED}`, { seed: 42 }), method: 'retrain', out: retrain });

  const out = path.join(root, 'eval');
  const r = spawnSync(process.execPath, [
    CLI, 'eval', '--model', original, '--reference', retrain, '--data', file, '--forget', `user:${MARKED}`, '--out', out,
    '--audit', 'rmia,lira', '--references', references, '--relearn', '2,4', '--device', 'cpu',
  ], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /RMIA AUC [\d.]+, TPR at 1% FPR/);
  assert.match(r.stdout, /relearn original: held-back forget accuracy 2 steps/);
  const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Metrics;
  // marked's 8 rows against the 20 test rows, each judged by the 3 references that never saw it.
  assert.equal(m.audit.rmia.members, 8);
  assert.equal(m.audit.rmia.non_members, 20);
  assert.equal(m.audit_setup.reference_models, 4);
  assert.equal(m.audit_setup.references_per_row, 3);
  assert.equal(m.audit_setup.reference_rows_scored, 3 * (8 + 20 + 48));
  for (const attack of ['rmia', 'lira'] as const) {
    assert.ok(m.audit[attack].auc > 0.9, `${attack}: the original learnt the marked subject (AUC ${m.audit[attack].auc})`);
    assert.ok(m.reference.audit[attack].auc < m.audit[attack].auc - 0.3, `${attack}: retrain ${m.reference.audit[attack].auc} vs original ${m.audit[attack].auc}`);
  }
  assert.deepEqual(Object.keys(m.relearn.accuracy), ['0', '2', '4']);
  assert.equal(m.relearn.train_rows + m.relearn.scored_rows, 8);
  assert.ok(m.relearn.accuracy['0']! > 0.5 && m.reference.relearn.accuracy['0']! < 0.5, 'before relearning: the original knows the marked subject, the retrained model does not');
  assert.ok(m.reference.relearn.accuracy['4']! >= m.reference.relearn.accuracy['0']!, 'relearning on the other half teaches the retrained model the marker');
  const report = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  for (const text of ['RMIA AUC', 'LiRA TPR@1%', 'Relearned 4 steps', 'id="relearn"', 'chart-relearn']) assert.ok(report.includes(text), `report shows ${text}`);

  // Without reference models the audit is refused before anything is scored.
  const bare = spawnSync(process.execPath, [CLI, 'eval', '--model', original, '--data', file, '--forget', `user:${MARKED}`, '--out', path.join(root, 'e2'), '--audit', 'rmia'], { encoding: 'utf8' });
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /--audit needs reference models: pass --references DIR/);
  const unknown = spawnSync(process.execPath, [CLI, 'eval', '--model', original, '--data', file, '--forget', `user:${MARKED}`, '--out', path.join(root, 'e3'), '--audit', 'lira,shadow'], { encoding: 'utf8' });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--audit: unknown attack 'shadow' \(known: rmia, lira\)/);
});
