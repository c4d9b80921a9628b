// The tiny experiment grid the experiment and queue tests share (SpamAssassin slice, tiny base in
// `base` beside the config): one fine-tune per seed, DeepCUT and gradient ascent with checkpoints.
import { SPAM_SLICE } from './tiny-run';

/**
 * `longDeepcut`: DeepCUT runs 40 steps with no stopping rule (about 4 s, a checkpoint every 4), so a
 * test that kills its worker after the first checkpoint lands mid-unit (at 8 steps the unit could
 * end between seeing the checkpoint and the kill).
 */
export function tinyGridLines(seeds: readonly number[], options: { longDeepcut?: boolean } = {}): string[] {
  return [
    'base_model: base',
    `datasets: [${JSON.stringify(SPAM_SLICE)}]`,
    'forget: [largest-user]',
    'methods: [deepcut, gradient-ascent]',
    `seeds: [${seeds.join(', ')}]`,
    'finetune: { epochs: 2, max_length: 32, lr: 0.002 }',
    'hp:',
    options.longDeepcut ? '  deepcut: { steps: 40, evalEvery: 4, stopSample: 32, checkpointEvery: 4 }' : '  deepcut: { steps: 8, evalEvery: 4, stopSample: 32, checkpointEvery: 4 }',
    '  gradient-ascent: { steps: 8, evalEvery: 4, stopSample: 32 }',
    'eval: { retain_sample: 60 }',
    ...(options.longDeepcut ? ['stop: none'] : []),
  ];
}
