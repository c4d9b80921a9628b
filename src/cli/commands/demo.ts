// `deepcut demo`: the whole story on real data in one command. Fine-tune the committed encoder
// on SpamAssassin, forget the sender with the most emails with DeepCUT, retrain without them
// (the gold standard), evaluate both against the retrained model, print a short table and the
// report. It is a fixed experiment config run through the same pipeline as `deepcut experiment`.
import * as path from 'node:path';
import type { Command } from 'commander';
import { parseConfig, REFERENCE_METHOD, ORIGINAL, type ExperimentConfig, type ResultRow } from '../../experiment';
import { runWithConsole } from './experiment';
import { DEVICE_HELP } from '../device';

/**
 * Measured 23.7 min on 2 cores with another single-threaded job sharing them: original fine-tune
 * (2 epochs x 304 steps of 16 x 128 tokens) 738 s, retrain 582 s, DeepCUT 47 s, scoring the rest.
 * On an idle machine a fine-tune step takes ~0.4 s, so the fine-tunes shrink to ~4 min each.
 */
export const DEMO_CONFIG = {
  name: 'demo',
  datasets: ['spamassassin'],
  forget: ['largest-user'],
  methods: ['deepcut'],
  seeds: [0],
  // patience 2 = no early stopping: the original and the retrain both train exactly 2 epochs, so
  // their gap measures the forgotten data, not where early stopping happened to cut.
  finetune: { epochs: 2, batch: 16, max_length: 128, patience: 2 },
  eval: { retain_sample: 1000 },
};
export const DEMO_OUT = path.join('runs', 'demo');

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
    .description('fine-tune on SpamAssassin, unlearn the largest sender with DeepCUT, retrain without them, compare (about 17-25 min on 2 cores)')
    .option('--out <dir>', 'output folder', DEMO_OUT)
    .option('--resume', 'continue an interrupted demo in --out')
    .option('--overwrite', 'delete the demo already in --out and start over')
    .option('--device <device>', DEVICE_HELP, 'auto')
    .action(async (f: DemoFlags) => {
      const config = demoConfig(f.out);
      const s = config.finetune;
      const intro = [
        'deepcut demo: SpamAssassin, forget the sender with the most train emails (largest-user) with deepcut, retrain as the reference',
        `settings: fine-tune ${s.epochs} epochs, batch ${s.batchSize}, max length ${s.maxLength} tokens, lr ${s.lr}; deepcut defaults; retain sample ${config.eval.retainSample}; about 17-25 minutes on 2 cores`,
      ];
      const outcome = await runWithConsole(config, { resume: f.resume, overwrite: f.overwrite, device: f.device, intro });
      console.log('');
      console.log(demoTable(outcome.rows));
      const [report] = outcome.files.reports;
      if (report) console.log(`\nreport: ${path.relative(process.cwd(), report) || report}`);
    });
}
