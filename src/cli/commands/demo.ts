// `deepcut demo`: the whole story on real data in one command. Fine-tune the committed encoder
// on SpamAssassin, forget the sender with the most emails with DeepCUT, retrain without them
// (the gold standard), evaluate both against the retrained model, print a short table and the
// report. It is a fixed experiment config run through the same pipeline as `deepcut experiment`.
import * as path from 'node:path';
import type { Command } from 'commander';
import { parseConfig, planExperiment, REFERENCE_METHOD, ORIGINAL, type ExperimentConfig, type ResultRow } from '../../experiment';
import { runWithConsole } from './experiment';
import { DEVICE_HELP } from '../device';

/**
 * One epoch of 64 tokens after the linear probe: USE-Lite reaches 97.1% test accuracy on
 * SpamAssassin so (2 epochs of 128 tokens: 97.7%, at 4x the cost). The largest sender is the
 * RSS gateway (500 ham emails), which a model that never saw it gets 92.6% right: the accuracy
 * rule stops near validation accuracy (98%), the references target lands within ~2 points of
 * the retrained model. DeepCUT's lr is 5x its default because the target rule rewinds overshoot;
 * freezing the embeddings and layer 0 halved its time and its gap to retraining; one view per
 * retain row and a bisection of the crossing (no replayed steps) cut a third more at the same
 * gap on two seeds (docs/results.md, "The unlearning run's own floor").
 * Measured on a 2-core machine (2 threads): 22.7 min in all: original 449 s, the 4 reference
 * models 369 s (once per original), retrain 300 s, DeepCUT 116 s, three evaluations ~120 s; on
 * a faster 2-core machine 5.2 min (95 s, 103 s, 68 s, 20 s).
 */
export const DEMO_CONFIG = {
  name: 'demo',
  datasets: ['spamassassin'],
  forget: ['largest-user'],
  methods: ['deepcut'],
  seeds: [0],
  finetune: { epochs: 1, batch: 16, max_length: 64, patience: 1 },
  hp: { deepcut: { lr: 5e-5, freezeLayers: 1, retainViews: 1, bisect: 4 } },
  stop: 'references',
  references: { k: 4 },
  eval: { retain_sample: 1000 },
};
export const DEMO_OUT = path.join('runs', 'demo');
/** Measured on two idle 2-core machines (docs/results.md): 5.2 and 22.7 minutes. */
const DEMO_MINUTES = '5 to 25 minutes';

export function demoConfig(out: string = DEMO_OUT): ExperimentConfig {
  return parseConfig(DEMO_CONFIG, { source: 'the demo config (src/cli/commands/demo.ts)', baseDir: process.cwd(), out });
}

const percent = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a');

/** The demo's closing table: one row per model. */
export function demoTable(rows: readonly ResultRow[]): string {
  const header = ['model', 'forget acc.', 'retain acc.', 'test acc.', 'MIA loss AUC', 'time', 'speed-up vs retrain'];
  const body = rows.map((r) => [
    r.method === ORIGINAL ? 'original (before unlearning)' : r.method === REFERENCE_METHOD ? 'retrain (gold standard)' : r.method,
    percent(r.accuracy_forget), percent(r.accuracy_retain), percent(r.accuracy_test),
    Number.isFinite(r.mia_loss_auc) ? r.mia_loss_auc.toFixed(3) : 'n/a',
    `${r.wall_seconds.toFixed(0)} s`,
    Number.isFinite(r.speedup_vs_retrain) ? `${r.speedup_vs_retrain.toFixed(1)}x` : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

interface DemoFlags { out: string; resume?: boolean; overwrite?: boolean; device: string }

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(`fine-tune on SpamAssassin, unlearn the largest sender with DeepCUT, retrain without them, compare (${DEMO_MINUTES} on 2 cores)`)
    .option('--out <dir>', 'output folder', DEMO_OUT)
    .option('--resume', 'continue an interrupted demo in --out')
    .option('--overwrite', 'delete the demo already in --out and start over')
    .option('--device <device>', DEVICE_HELP, 'auto')
    .action(async (f: DemoFlags) => {
      const config = demoConfig(f.out);
      const s = config.finetune;
      const intro = [
        'deepcut demo: SpamAssassin, forget the sender with the most train emails (largest-user) with deepcut, retrain as the reference',
        `settings: fine-tune ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} (after a linear probe), batch ${s.batchSize}, max length ${s.maxLength} tokens, lr ${s.lr}; deepcut ${Object.entries(config.hp.deepcut ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || 'defaults'}, stop ${config.stop}${config.stop === 'references' ? ` (${config.references.k} reference models, trained once)` : ''}; retain sample ${config.eval.retainSample}; ${DEMO_MINUTES} on 2 cores`,
      ];
      const outcome = await runWithConsole(config, { resume: f.resume, overwrite: f.overwrite, device: f.device, intro });
      console.log('');
      console.log(demoTable(outcome.rows));
      const [report] = outcome.files.reports;
      if (report) console.log(`\nreport: ${path.relative(process.cwd(), report) || report}`);
      const [cell] = planExperiment(config).cells;
      if (cell) {
        const rel = (dir: string) => path.relative(process.cwd(), dir) || dir;
        // The way this process was started, so the line runs as printed (a checkout has no `deepcut` on PATH).
        const cli = process.argv[1] !== undefined ? `node ${rel(process.argv[1])}` : 'deepcut';
        console.log(`audit it record by record (RMIA, LiRA against the reference models) and check relearning:\n  ${cli} eval --model ${rel(cell.modelDir('deepcut'))} --reference ${rel(cell.modelDir(REFERENCE_METHOD))} --data spamassassin --forget largest-user --audit rmia,lira --relearn --out ${rel(path.join(config.out, 'audit'))}`);
      }
    });
}
