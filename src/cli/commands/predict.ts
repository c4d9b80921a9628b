// `deepcut predict`: labels and probabilities for new text from a model folder, one JSON line per
// text on stdout, e.g. to check what an unlearned model now says about a forgotten record. A
// tagger's folder prints a tag per word instead.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { loadTextClassifier, readTextInputs, PREDICT_BATCH_SIZE, type TextInput } from '../../api/predict';
import { detectModelKind } from '../../eval/scorable';
import { CliError, positiveInt } from '../args';
import { DEVICE_HELP, deviceFlag } from '../device';

interface PredictFlags { model: string; text: string[]; data?: string; maxLength?: string; batch: string; device: string }

function checkModel(dir: string): string {
  const root = path.resolve(dir);
  if (!fs.existsSync(root)) throw new CliError(`--model ${dir}: no such folder`);
  if (!fs.statSync(root).isDirectory()) throw new CliError(`--model ${dir}: not a folder`);
  const kind = detectModelKind(root);
  if (kind === undefined) throw new CliError(`--model ${dir}: not a model folder (no config.json of a Hugging Face model, no sisa.json)`);
  if (kind === 'hf' && !fs.existsSync(path.join(root, 'tokenizer.json'))) throw new CliError(`--model ${dir}: no tokenizer.json (the model's tokenizer is needed to read texts)`);
  return root;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('labels and probabilities for new text: one JSON line per text, {"id"|"text", "label", "probabilities": {label: p}}; a tagger: {"id"|"text", "tokens", "tags", "scores"}')
    .requiredOption('--model <dir>', 'model folder (fine-tuned, unlearned or SISA; Hugging Face format with tokenizer.json)')
    .option('--text <text>', 'a text to classify, repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--data <file>', '.jsonl (objects with text or tokens, optional id; a dataset file works as is), .csv (text column, optional id) or one text per line (a tagger splits texts on whitespace)')
    .option('--max-length <n>', "tokens per text (default: the model's train.json or sisa.json, else 128)")
    .option('--batch <n>', 'texts per forward pass', String(PREDICT_BATCH_SIZE))
    .addHelpText('after', '\nExamples:\n  deepcut predict --model runs/demo/spamassassin/largest-user/seed-0/models/deepcut --text "Win a free cruise"\n  deepcut predict --model DIR --data forget.jsonl   # what the model says about each forgotten record')
    .option('--device <device>', DEVICE_HELP, 'auto')
    .action(async (f: PredictFlags) => {
      if (f.text.length === 0 && f.data === undefined) throw new CliError('give --text "..." (repeatable) or --data FILE');
      if (f.text.length > 0 && f.data !== undefined) throw new CliError('give either --text or --data, not both');
      const modelDir = checkModel(f.model);
      const maxLength = f.maxLength !== undefined ? positiveInt(f.maxLength, '--max-length') : undefined;
      const batchSize = positiveInt(f.batch, '--batch');
      if (f.data !== undefined && !fs.existsSync(f.data)) throw new CliError(`--data ${f.data}: no such file`);
      const inputs: TextInput[] = f.data !== undefined ? await readTextInputs(f.data) : f.text.map((text) => ({ text }));
      const device = deviceFlag(f.device); // after the other flags: 'auto' loads the addon
      const classifier = loadTextClassifier(modelDir, { device, ...(maxLength !== undefined ? { maxLength } : {}) });
      try {
        // In chunks, so a large file streams out instead of being held as one result.
        const chunk = Math.max(batchSize, 256);
        for (let start = 0; start < inputs.length; start += chunk) {
          const part = inputs.slice(start, start + chunk);
          const keyOf = (input: TextInput) => (input.id !== undefined ? { id: input.id } : { text: input.text });
          const lines = classifier.task === 'token-classification'
            ? classifier.tag(part.map((p) => p.tokens ?? p.text), { batchSize }).map((p, i) => JSON.stringify({ ...keyOf(part[i]!), tokens: p.tokens, tags: p.tags, scores: p.scores }))
            : classifier.predict(part.map((p) => p.text), { batchSize }).map((p, i) => JSON.stringify({ ...keyOf(part[i]!), label: p.label, probabilities: p.probabilities }));
          process.stdout.write(`${lines.join('\n')}\n`);
        }
      } finally {
        classifier.dispose();
      }
    });
}
