// deepcut experiment: config validation (errors name file, field, line), the plan's sharing of
// work, a tiny end-to-end grid (tiny random-init encoder, SpamAssassin slice, 2 methods, 2 seeds)
// with its tables, reports and index, and resuming after a kill.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDatasetFile } from '../src/data';
import {
  ConfigError, ORIGINAL, forgetKeys, RESULT_COLUMNS, REFERENCE_METHOD, loadConfigFile, parseConfig, planExperiment, runExperiment,
  type ExperimentConfig, type UnitEvent,
} from '../src/experiment';
import { demoConfig } from '../src/cli/commands/demo';
import { DEFAULT_ENCODER } from '../src/model/default-encoder';
import { makeTinyBase, SPAM_SLICE } from './helpers/tiny-run';
import { tinyGridLines } from './helpers/tiny-grid';
import { expectedRecord } from '../src/experiment/markers';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-experiment-'));
const CLI = path.join(__dirname, '../src/cli/main.js');
after(() => fs.rmSync(root, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, text);
  return file;
}

function configError(file: string, pattern: RegExp): void {
  assert.throws(() => loadConfigFile(file), (err: unknown) => {
    assert.ok(err instanceof ConfigError, `ConfigError expected, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(err.message.startsWith(file), `the message names the file: ${err.message}`);
    return true;
  });
}

const VALID = 'name: t\ndatasets: [spamassassin]\nforget: [largest-user]\nmethods: [deepcut]\nseeds: [0]\n';

test('config errors name the file, the field and the line', () => {
  configError(writeConfig('unknown-method.yaml', 'name: t\ndatasets: [spamassassin]\nforget: [largest-user]\nmethods:\n  - deepcut\n  - deepcutt\nseeds: [0]\n'),
    /unknown-method\.yaml: line 6: field 'methods\.1': unknown method 'deepcutt' \(known: .*deepcut.*\)/);
  configError(writeConfig('missing.yaml', 'name: t\nforget: [largest-user]\nmethods: [deepcut]\nseeds: [0]\n'), /missing\.yaml: field 'datasets': required field is missing/);
  configError(writeConfig('bad.yaml', 'name: t\ndatasets: [spamassassin\nforget: [x]\n'), /bad\.yaml: line 3: invalid YAML: /);
  configError(writeConfig('typo.yaml', `${VALID}finetune:\n  epoch: 2\n`), /line 7: field 'finetune': unknown field 'epoch'/);
  configError(writeConfig('type.yaml', `${VALID}finetune:\n  lr: fast\n`), /line 7: field 'finetune\.lr': Expected number, received string/);
  configError(writeConfig('hp.yaml', `${VALID}hp:\n  deepcut:\n    gama: 2\n`), /line 8: field 'hp\.deepcut\.gama': method 'deepcut' has no hyper-parameter 'gama'/);
  configError(writeConfig('hp-method.yaml', `${VALID}hp:\n  scrub: { alpha: 2 }\n`), /field 'hp\.scrub': hyper-parameters for 'scrub', which is not in methods/);
  configError(writeConfig('spec.yaml', VALID.replace('[largest-user]', '[largest-user, "random:2"]')), /line 3: field 'forget\.1': .*random fraction must be a number in \(0, 1\]/);
  configError(writeConfig('data.yaml', VALID.replace('[spamassassin]', '[spamassassin, nope.jsonl]')), /field 'datasets\.1': 'nope\.jsonl' is neither a built-in dataset .* nor an existing file/);
  configError(writeConfig('sisa.yaml', VALID.replace('[deepcut]', '[sisa]')), /field 'methods\.0': method 'sisa' cannot run in an experiment/);
  configError(writeConfig('dup.yaml', VALID.replace('seeds: [0]', 'seeds: [0, 1, 0]')), /field 'seeds\.2': seed 0 is listed twice/);
  configError(writeConfig('list.yaml', '- a\n- b\n'), /the config must be a mapping/);
  configError(writeConfig('refs.yaml', `${VALID}references: { k: 3 }\n`), /line 6: field 'references': reference models are only trained for 'stop: references' or 'eval.audit' \(stop is 'accuracy'\)/);
  configError(writeConfig('refs-k.yaml', `${VALID}stop: references\nreferences: { k: 1 }\n`), /field 'references\.k': Number must be greater than or equal to 2/);
  configError(path.join(root, 'absent.yaml'), /cannot read the config/);
});

test('config defaults; relative data and base_model paths are relative to the config file, out to the working directory', () => {
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.copyFileSync(SPAM_SLICE, path.join(root, 'sub', 'slice.jsonl'));
  const file = writeConfig('sub/rel.yaml', 'name: rel\nbase_model: enc\ndatasets: [slice.jsonl, sotu]\nforget: ["random:0.1"]\nmethods: [retrain, deepcut]\nseeds: [3]\n');
  const c = loadConfigFile(file, { cwd: '/somewhere' });
  assert.deepEqual(c.datasets, [{ key: 'slice', source: path.join(root, 'sub', 'slice.jsonl') }, { key: 'sotu', source: 'sotu' }]);
  assert.equal(c.baseModel, path.join(root, 'sub', 'enc'));
  assert.equal(c.out, '/somewhere/runs/rel');
  assert.deepEqual(c.methods, ['deepcut'], 'retrain is the reference, always run, not listed among methods');
  assert.deepEqual(c.forget, [{ key: 'random-0.1', spec: 'random:0.1' }]);
  assert.deepEqual(c.finetune, { epochs: 3, batchSize: 16, lr: 1e-4, weightDecay: 0.01, warmupFraction: 0.1, maxLength: 128, patience: 1, linearProbe: true });
  assert.equal(loadConfigFile(file, { out: 'x', cwd: '/w' }).out, '/w/x');
});

test('finetune.freeze_layers reaches the fine-tune settings (absent: nothing frozen); a negative count is refused with its field', () => {
  const base = { name: 'f', datasets: ['spamassassin'], forget: ['largest-user'], methods: ['deepcut'], seeds: [0] };
  const options = { source: 'inline', baseDir: root, out: path.join(root, 'f') };
  assert.equal(parseConfig({ ...base, finetune: { freeze_layers: 1 } }, options).finetune.freezeLayers, 1);
  assert.equal(parseConfig(base, options).finetune.freezeLayers, undefined);
  assert.throws(() => parseConfig({ ...base, finetune: { freeze_layers: -1 } }, options), /finetune\.freeze_layers/);
});

test('forget specs become safe, distinct folder names', () => {
  assert.deepEqual(forgetKeys(['largest-user', 'random:0.01', 'user:a@b.org+class:spam']), ['largest-user', 'random-0.01', 'user-a@b.org+class-spam']);
  const [a, b] = forgetKeys(['user:x/y', 'user:x_y']);
  assert.ok(a !== b && a!.startsWith('user-x_y-') && b!.startsWith('user-x_y-'), `${a} ${b}`);
  assert.ok(!forgetKeys(['ids:../up.txt'])[0]!.includes('/'));
  assert.ok(forgetKeys(['ids:' + 'x'.repeat(100)])[0]!.length <= 60);
});

test('plan shares work: one original per dataset x seed, one retrain per dataset x forget x seed', () => {
  const c = parseConfig(
    { name: 'grid', datasets: ['spamassassin', 'sotu'], forget: ['largest-user', 'random:0.01', 'largest-user:2'], methods: ['deepcut', 'scrub'], seeds: [0, 1] },
    { source: 'inline', baseDir: root, out: path.join(root, 'grid') },
  );
  const plan = planExperiment(c);
  const of = (kind: string) => plan.units.filter((u) => u.kind === kind);
  assert.equal(of('finetune').length, 2 * 2);
  const unlearn = plan.units.filter((u) => u.kind === 'unlearn');
  assert.equal(unlearn.filter((u) => u.method === REFERENCE_METHOD).length, 2 * 3 * 2);
  assert.equal(unlearn.length, 2 * 3 * 2 * 3);
  assert.equal(of('eval').length, 2 * 3 * 2 * 4, 'original, two methods and retrain per cell');
  assert.equal(plan.cells.length, 12);
  assert.equal(new Set(plan.units.map((u) => u.id)).size, plan.units.length);
  assert.equal(new Set(plan.units.map((u) => u.dir)).size, plan.units.length, 'every unit writes its own folder');
  // Every dependency is planned earlier, and every unlearning run starts from its (dataset, seed) original.
  const position = new Map(plan.units.map((u, i) => [u.id, i]));
  plan.units.forEach((u, i) => u.deps.forEach((d) => assert.ok(position.get(d)! < i, `${d} before ${u.id}`)));
  for (const u of unlearn) assert.equal(u.modelDir, path.join(c.out, u.dataset.key, `seed-${u.seed}`, ORIGINAL));
});

test('a finished retrain is kept when only the stopping rule changes (it stops by none); a loss-based run is not', () => {
  const config = (stop: string) => parseConfig(
    { name: 'grid', datasets: ['spamassassin'], forget: ['largest-user'], methods: ['deepcut'], seeds: [0], stop },
    { source: 'inline', baseDir: root, out: path.join(root, 'grid') },
  );
  const unitOf = (c: ExperimentConfig, method: string) => planExperiment(c).units.find((u) => u.kind === 'unlearn' && u.method === method)!;
  const a = config('accuracy');
  const b = config('references');
  assert.deepEqual(expectedRecord(a, unitOf(a, REFERENCE_METHOD)), expectedRecord(b, unitOf(b, REFERENCE_METHOD)));
  assert.equal(expectedRecord(a, unitOf(a, REFERENCE_METHOD)).stop, undefined);
  assert.equal(expectedRecord(b, unitOf(b, 'deepcut')).stop, 'references');
});

interface Run { config: ExperimentConfig; events: UnitEvent[]; labels: string[] }

async function run(file: string, options: { resume?: boolean } = {}): Promise<Run> {
  const config = loadConfigFile(file);
  const events: UnitEvent[] = [];
  const labels: string[] = [];
  await runExperiment(config, { ...options, onUnit: (e) => events.push(e), progress: (label) => (labels.push(label), { update() {}, stop() {} }) });
  return { config, events, labels };
}

let tinyConfigText: string | undefined;
async function tinyConfig(name: string): Promise<string> {
  if (tinyConfigText === undefined) {
    makeTinyBase(path.join(root, 'base'), await loadDatasetFile(SPAM_SLICE));
    tinyConfigText = tinyGridLines([0, 1]).join('\n');
  }
  return writeConfig(`${name}.yaml`, `name: ${name}\nout: ${JSON.stringify(path.join(root, name))}\n${tinyConfigText}\n`);
}

function csvRows(file: string): Record<string, string>[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const keys = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [keys[i]!, v])));
}

/** Measurements only (times differ run to run). */
const MEASURED = ['dataset', 'forget', 'forget_count', 'method', 'seed', 'accuracy_forget', 'accuracy_retain', 'accuracy_test', 'mia_loss_auc', 'gap_average', 'steps'];
const measured = (rows: Record<string, string>[]) => rows.map((r) => MEASURED.map((k) => r[k]).join(','));

test('tiny end-to-end experiment: results.csv, results.md, a report per cell, index.html; a rerun with --resume skips everything', async () => {
  const file = await tinyConfig('e2e');
  const first = await run(file);
  const out = first.config.out;
  assert.equal(first.events.length, 2 + 2 * 3 + 2 * 4);
  assert.deepEqual(first.events.filter((e) => e.action !== 'ran'), [], 'every unit ran');
  assert.equal(first.labels.filter((l) => l.startsWith('scoring retrain')).length, 2, 'the reference is scored once per cell');
  assert.equal(first.labels.filter((l) => l === 'fine-tuning').length, 2, 'one original per seed');

  const rows = csvRows(path.join(out, 'results.csv'));
  assert.deepEqual(Object.keys(rows[0]!), [...RESULT_COLUMNS]);
  assert.deepEqual(rows.map((r) => `${r.method}/${r.seed}`), ['original/0', 'deepcut/0', 'gradient-ascent/0', 'retrain/0', 'original/1', 'deepcut/1', 'gradient-ascent/1', 'retrain/1']);
  for (const r of rows) {
    assert.equal(r.dataset, 'spamassassin-slice');
    assert.equal(r.forget_count, '40', 'the slice\'s largest sender');
    for (const k of ['accuracy_forget', 'accuracy_retain', 'accuracy_test', 'mia_loss_auc', 'gap_average', 'wall_seconds', 'steps']) assert.ok(Number.isFinite(Number(r[k])) && r[k] !== '', `${r.method} ${k}=${r[k]}`);
    if (r.method === 'retrain') assert.equal(Number(r.gap_average), 0);
    if (r.method === 'original') assert.equal(r.speedup_vs_retrain, '');
    else {
      const unlearnJson = JSON.parse(fs.readFileSync(path.join(out, 'spamassassin-slice/largest-user', `seed-${r.seed}`, 'models', r.method!, 'unlearn.json'), 'utf8')) as { wall_seconds: number; steps: number };
      const retrain = rows.find((x) => x.method === 'retrain' && x.seed === r.seed)!;
      assert.equal(Number(r.steps), unlearnJson.steps);
      assert.ok(Math.abs(Number(r.speedup_vs_retrain) - Number(retrain.wall_seconds) / unlearnJson.wall_seconds) < 1e-9);
    }
  }
  // metrics.json names its models relative to itself (the run folder can move), absolute ones as extra fields.
  for (const e of first.events.filter((x) => x.unit.kind === 'eval')) {
    const metrics = JSON.parse(fs.readFileSync(path.join(e.unit.dir, 'metrics.json'), 'utf8')) as { model: { dir: string; dir_absolute: string }; reference_model: { dir: string } };
    assert.ok(!path.isAbsolute(metrics.model.dir) && !path.isAbsolute(metrics.reference_model.dir), `relative: ${metrics.model.dir}`);
    assert.ok(fs.existsSync(path.join(e.unit.dir, metrics.model.dir, 'config.json')), `${metrics.model.dir} resolves from ${e.unit.dir}`);
    assert.equal(path.resolve(e.unit.dir, metrics.model.dir), metrics.model.dir_absolute);
    assert.ok(fs.existsSync(path.join(e.unit.dir, metrics.reference_model.dir, 'config.json')));
  }
  const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
  assert.match(md, /## spamassassin-slice, forget `largest-user` \(40 records\)/);
  for (const label of ['original \\(before\\)', 'deepcut', 'gradient-ascent', 'retrain \\(reference\\)']) assert.match(md, new RegExp(`\\| ${label} \\| 2 \\| [0-9.]+( ± [0-9.]+)? \\|`));

  const index = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
  for (const seed of [0, 1]) {
    const report = `spamassassin-slice/largest-user/seed-${seed}/report.html`;
    assert.ok(index.includes(`href="${report}"`), `index links ${report}`);
    const html = fs.readFileSync(path.join(out, report), 'utf8');
    for (const id of ['chart-latent-0', 'chart-latent-3', 'chart-methods', 'chart-stopping-0', 'chart-stopping-1', 'chart-loss-0', 'chart-loss-2']) assert.ok(html.includes(`id="${id}"`), `${report} draws ${id}`);
    for (const model of ['original', 'deepcut', 'gradient-ascent', 'retrain']) assert.ok(html.includes(`>${model}<`), `${report} lists ${model}`);
    // The stopping table: each loss-based method against the retrained model's forget accuracy, with the test cost.
    assert.match(html, /<th scope="row">deepcut<\/th><td>accuracy<\/td><td>\u2013<\/td><td>[\d.]+% \(step \d+\)<\/td><td>[\d.]+%<\/td><td>[\d.]+% \u2192 [\d.]+% \(/);
  }

  const markers = first.events.map((e) => path.join(e.unit.dir, e.unit.kind === 'finetune' ? 'train.json' : e.unit.kind === 'unlearn' ? 'unlearn.json' : 'metrics.json'));
  const mtimes = markers.map((m) => fs.statSync(m).mtimeMs);
  const again = await run(file, { resume: true });
  assert.deepEqual(again.events.map((e) => e.action), again.events.map(() => 'skipped'));
  assert.deepEqual(markers.map((m) => fs.statSync(m).mtimeMs), mtimes, 'no marker rewritten');
  assert.deepEqual(measured(csvRows(path.join(out, 'results.csv'))), measured(rows), 'tables rebuilt from disk, unchanged');

  // A unit folder without its marker is an interrupted run: resumed, and the evaluation that read it redone.
  fs.rmSync(path.join(out, 'spamassassin-slice/largest-user/seed-1/models/deepcut/unlearn.json'));
  const partial = await run(file, { resume: true });
  const acted = partial.events.filter((e) => e.action !== 'skipped').map((e) => `${e.unit.id}: ${e.action}`);
  assert.deepEqual(acted, ['unlearn spamassassin-slice/largest-user/deepcut/seed-1: resumed', 'eval spamassassin-slice/largest-user/deepcut/seed-1: ran']);
  assert.deepEqual(measured(csvRows(path.join(out, 'results.csv'))), measured(rows), 'same seed, same results');

  await assert.rejects(run(file), /exists and is not empty \(pass --resume to continue that experiment, or --overwrite to start over\)/);
  // A finished fine-tune with other settings is never discarded on a guess.
  const changed = writeConfig('e2e-changed.yaml', fs.readFileSync(file, 'utf8').replace('lr: 0.002', 'lr: 0.003'));
  const conflict = await run(changed, { resume: true });
  assert.deepEqual([...new Set(conflict.events.map((e) => e.action))].sort(), ['blocked', 'failed']);
  assert.match(conflict.events[0]!.error!.message, /train\.json: this finished run was made with other settings: 'hyperparameters\.lr' is 0\.002, the config asks for 0\.003/);
});

test('a run killed mid-grid resumes: finished units are skipped, the rest run, results match an uninterrupted run', async (t) => {
  const file = await tinyConfig('killed');
  // Kill the CLI as soon as it starts the third unit (the first unlearning run after the retrain).
  const child = spawn(process.execPath, ['--expose-gc', CLI, 'experiment', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('[3/16]')) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
  });
  assert.ok(stdout.includes('[3/16]') && !stdout.includes('done in'), `killed mid-grid:\n${stdout}`);
  const resumed = await run(file, { resume: true });
  const actions = resumed.events.map((e) => e.action);
  t.diagnostic(`after the kill: ${actions.join(' ')}`);
  assert.deepEqual(actions.slice(0, 2), ['skipped', 'skipped'], 'the original and the retrain finished before the kill');
  assert.ok(actions.slice(2).every((a) => a === 'ran' || a === 'resumed'), actions.join(' '));
  const expected = csvRows(path.join(root, 'e2e', 'results.csv'));
  assert.deepEqual(measured(csvRows(path.join(resumed.config.out, 'results.csv'))), measured(expected));
});

test('stop: references trains K reference models once per original, beside it; the methods aim at their target, retrain does not wait for them', async () => {
  const base = tinyConfigText ?? (await tinyConfig('refs-warmup'), tinyConfigText!);
  const text = base.replace('methods: [deepcut, gradient-ascent]', 'methods: [deepcut]').replace('seeds: [0, 1]', 'seeds: [0]')
    .replace(/  gradient-ascent: .*\n/, '');
  const file = writeConfig('refs.yaml', `name: refs\nout: ${JSON.stringify(path.join(root, 'refs'))}\n${text}\nstop: references\nreferences: { k: 2 }\n`);
  const first = await run(file);
  assert.deepEqual(first.events.map((e) => `${e.unit.kind}:${e.action}`), ['finetune:ran', 'references:ran', 'unlearn:ran', 'unlearn:ran', 'eval:ran', 'eval:ran', 'eval:ran']);
  const plan = first.events.map((e) => e.unit);
  const references = plan.find((u) => u.kind === 'references')!;
  const retrain = plan.find((u) => u.kind === 'unlearn' && u.method === REFERENCE_METHOD)!;
  const deepcut = plan.find((u) => u.kind === 'unlearn' && u.method === 'deepcut')!;
  assert.ok(!retrain.deps.includes(references.id) && deepcut.deps.includes(references.id));
  const manifest = JSON.parse(fs.readFileSync(path.join(references.dir, 'references.json'), 'utf8')) as { k: number; partitions: { model_hash?: string; heldout?: unknown }[] };
  assert.equal(manifest.k, 2);
  assert.ok(manifest.partitions.every((p) => p.model_hash && p.heldout));
  const record = JSON.parse(fs.readFileSync(path.join(deepcut.dir, 'unlearn.json'), 'utf8')) as { stop: string; target: { rule: string; source: string }; chosen_check: { step: number } };
  assert.equal(record.stop, 'references');
  assert.equal(record.target.rule, 'references');
  const html = fs.readFileSync(path.join(root, 'refs', 'spamassassin-slice/largest-user/seed-0/report.html'), 'utf8');
  assert.match(html, /<td>references<\/td><td>[\d.]+%<\/td><td>[\d.]+% \(step \d+\)<\/td>/);
  assert.match(html, /Stopping targets came from 2 reference models trained once beside original/);
  const again = await run(file, { resume: true });
  assert.deepEqual(again.events.map((e) => e.action), again.events.map(() => 'skipped'));
});

test('eval.audit trains reference models even with stop: accuracy and audits every model with them; eval.relearn relearns each; both reach results.csv, results.md and the report', async () => {
  const base = tinyConfigText ?? (await tinyConfig('audit-warmup'), tinyConfigText!);
  const text = base.replace('methods: [deepcut, gradient-ascent]', 'methods: [gradient-ascent]').replace('seeds: [0, 1]', 'seeds: [0]')
    .replace(/  deepcut: .*\n/, '').replace('eval: { retain_sample: 60 }', 'eval: { retain_sample: 60, audit: [rmia, lira], relearn: [2, 4] }');
  const file = writeConfig('audit.yaml', `name: audit\nout: ${JSON.stringify(path.join(root, 'audit'))}\n${text}\nreferences: { k: 2 }\n`);
  const first = await run(file);
  assert.deepEqual(first.events.map((e) => `${e.unit.kind}:${e.action}`), ['finetune:ran', 'references:ran', 'unlearn:ran', 'unlearn:ran', 'eval:ran', 'eval:ran', 'eval:ran']);
  const plan = first.events.map((e) => e.unit);
  const references = plan.find((u) => u.kind === 'references')!;
  assert.ok(plan.filter((u) => u.kind === 'eval').every((u) => u.deps.includes(references.id)), 'every evaluation waits for the references');
  assert.ok(plan.filter((u) => u.kind === 'unlearn').every((u) => !u.deps.includes(references.id)), 'stop: accuracy: no unlearning run needs them');
  assert.equal(first.labels.filter((l) => l.startsWith('relearning')).length, 3, 'each model relearned once (retrain once per cell)');
  const rows = csvRows(path.join(root, 'audit', 'results.csv'));
  for (const r of rows) {
    for (const k of ['audit_rmia_auc', 'audit_rmia_tpr_1pct_fpr', 'audit_lira_auc', 'audit_lira_tpr_0_1pct_fpr', 'relearn_accuracy_0', 'relearn_accuracy_2', 'relearn_accuracy_4']) {
      const v = Number(r[k]);
      assert.ok(r[k] !== '' && v >= 0 && v <= 1, `${r.method} ${k}=${r[k]}`);
    }
  }
  const metrics = JSON.parse(fs.readFileSync(path.join(root, 'audit', 'spamassassin-slice/largest-user/seed-0/eval/original/metrics.json'), 'utf8')) as {
    audit: { rmia: { members: number } }; reference: { audit: { lira: { auc: number } } }; audit_setup: { reference_models: number; references_per_row: number }; settings: { audit: string; relearn: string };
  };
  assert.equal(metrics.audit.rmia.members, 40, 'the largest sender\'s records are the members');
  assert.equal(metrics.audit_setup.reference_models, 2);
  assert.equal(metrics.audit_setup.references_per_row, 1);
  assert.ok(Number.isFinite(metrics.reference.audit.lira.auc), 'the retrained model is audited beside');
  assert.deepEqual([metrics.settings.audit, metrics.settings.relearn], ['rmia,lira', '2,4']);
  const md = fs.readFileSync(path.join(root, 'audit', 'results.md'), 'utf8');
  assert.match(md, /\| RMIA AUC \| RMIA TPR@1%FPR % \| LiRA AUC \| LiRA TPR@1%FPR % \| Relearned 2 steps % \| Relearned 4 steps % \|/);
  const html = fs.readFileSync(path.join(root, 'audit', 'spamassassin-slice/largest-user/seed-0/report.html'), 'utf8');
  assert.ok(html.includes('id="relearn"') && html.includes('LiRA AUC'));
  const again = await run(file, { resume: true });
  assert.deepEqual(again.events.map((e) => e.action), again.events.map(() => 'skipped'));
});

test('eval.audit_references and eval.relearn_lr need their parent option', () => {
  configError(writeConfig('ar.yaml', `${VALID}eval: { audit_references: 2 }\n`), /field 'eval.audit_references': is an option of 'eval.audit'/);
  configError(writeConfig('rl.yaml', `${VALID}eval: { relearn_lr: 0.001 }\n`), /field 'eval.relearn_lr': is an option of 'eval.relearn'/);
  configError(writeConfig('aa.yaml', `${VALID}eval: { audit: [shadow] }\n`), /eval.audit.0/);
});

test('the example configs in configs/ are valid', () => {
  const dir = path.join(__dirname, '../../configs');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 2);
  for (const f of files) {
    const c = loadConfigFile(path.join(dir, f));
    assert.ok(planExperiment(c).units.length > 0, f);
  }
});

test('the demo is a fixed experiment: spamassassin, largest-user, deepcut (references target) vs retrain, 1 epoch of 64 tokens from the committed encoder', () => {
  const c = demoConfig(path.join(root, 'demo'));
  assert.equal(c.baseModel, DEFAULT_ENCODER);
  assert.ok(fs.existsSync(path.join(DEFAULT_ENCODER, 'config.json')), 'the default encoder path resolves from dist/');
  assert.deepEqual([c.datasets.map((d) => d.key), c.forget.map((f) => f.spec), c.methods, c.seeds], [['spamassassin'], ['largest-user'], ['deepcut'], [0]]);
  assert.deepEqual([c.finetune.epochs, c.finetune.maxLength, c.finetune.batchSize, c.finetune.linearProbe], [1, 64, 16, true]);
  assert.deepEqual([c.stop, c.references.k, c.hp.deepcut], ['references', 4, { lr: 5e-5, freezeLayers: 1, retainViews: 1, bisect: 4 }]);
  assert.deepEqual(planExperiment(c).units.map((u) => u.kind), ['finetune', 'references', 'unlearn', 'unlearn', 'eval', 'eval', 'eval']);
});
