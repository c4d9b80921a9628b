// Labels and probabilities for new text from a model folder, as a Hugging Face text-classification
// pipeline gives them: a fine-tuned or unlearned model (deepcut finetune / unlearn) or a SISA
// folder (majority vote of its shards, probabilities = the shards' mean softmax). A tagger's
// folder tags words instead (tag(): one tag per word, as a token-classification pipeline).
import * as path from 'node:path';
import { CsvLineParser } from '../data/csv';
import { DataError } from '../data/errors';
import { readJsonlObjects } from '../data/formats';
import { readUtf8Lines } from '../data/lines';
import type { Example } from '../data';
import { loadScorable, type ModelKind, type ModelScores } from '../eval/scorable';
import type { SisaScores } from '../methods/sisa';
import { recordedRecipe } from '../methods/recipe';
import type { ClassifierTask } from '../model';
import { FINETUNE_DEFAULTS } from '../train/finetune';
import { resolveDevice, type Device, type DeviceSpec } from '../engine/device';

export interface TextPrediction {
  /** The predicted label's name (config.json id2label). */
  label: string;
  /** Its id (the logit column). */
  labelId: number;
  /** Every label's probability (softmax; for SISA the shards' mean softmax), by name. */
  probabilities: Record<string, number>;
}

/** A tagger's answer for one sentence: a tag per word. */
export interface TagPrediction {
  /** The words tagged: the caller's, or the text split on whitespace. */
  tokens: string[];
  /** Each word's tag; null for a word past the window (maxLength sub-words), which the model never reads. */
  tags: (string | null)[];
  /** The probability of each word's tag (SISA: the shards' mean softmax of the voted tag); null past the window. */
  scores: (number | null)[];
}

export interface PredictOptions {
  /** Tokens per text (longer texts are truncated); default: the model's train.json / sisa.json, else 128. */
  maxLength?: number;
  /** Texts per forward pass (default 32). */
  batchSize?: number;
  /** Where the model computes: 'auto' (default: a GPU when libtorch sees one), 'cpu', 'cuda' or 'cuda:N'. */
  device?: DeviceSpec;
}

export const PREDICT_BATCH_SIZE = 32;

/** A loaded model that classifies texts until dispose() (or `using`). */
export interface TextClassifier {
  /** Absolute model folder. */
  readonly dir: string;
  readonly kind: ModelKind;
  /** Label names in id order. */
  readonly labels: readonly string[];
  /** Default tokens per text. */
  readonly maxLength: number;
  /** Where the model computes ('cpu', 'cuda:0'). */
  readonly device: Device;
  /** 'token-classification' for a tagger (use tag()), else 'sequence-classification' (predict()). */
  readonly task: ClassifierTask;
  predict(texts: readonly string[], options?: Pick<PredictOptions, 'batchSize' | 'maxLength'>): TextPrediction[];
  /** A tagger: a tag per word of each sentence (given as words, or as a text split on whitespace). */
  tag(sentences: readonly (string | readonly string[])[], options?: Pick<PredictOptions, 'batchSize' | 'maxLength'>): TagPrediction[];
  dispose(): void;
  [Symbol.dispose](): void;
}

function softmaxRows(logits: Float32Array, rows: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[i * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += out[i * k + c] = Math.exp(logits[i * k + c]! - max);
    for (let c = 0; c < k; c++) out[i * k + c]! /= sum;
  }
  return out;
}

function argmaxRow(values: ArrayLike<number>, row: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[row * k + c]! > values[row * k + best]!) best = c;
  return best;
}

/** Loads a model folder (Hugging Face with tokenizer.json, or SISA) for prediction. */
export function loadTextClassifier(modelDir: string, options: Pick<PredictOptions, 'maxLength' | 'device'> = {}): TextClassifier {
  const device = resolveDevice(options.device ?? 'auto');
  const loaded = loadScorable(modelDir, { device });
  const { scorable } = loaded;
  const labels = [...scorable.labels];
  const defaultLength = options.maxLength ?? recordedRecipe(loaded.dir).maxLength ?? FINETUNE_DEFAULTS.maxLength;
  const task = scorable.task ?? 'sequence-classification';
  const settings = (given: Pick<PredictOptions, 'batchSize' | 'maxLength'>) => {
    const maxLength = given.maxLength ?? defaultLength;
    const batchSize = given.batchSize ?? PREDICT_BATCH_SIZE;
    for (const [name, v] of [['maxLength', maxLength], ['batchSize', batchSize]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${v}`);
    }
    return { maxLength, batchSize };
  };
  /** Per unit: the probabilities and the decision (SISA: the shards' mean softmax and their vote). */
  const decide = (scores: ModelScores, units: number) => {
    const k = labels.length;
    const sisa = loaded.kind === 'sisa' ? (scores as SisaScores) : undefined;
    const probabilities = sisa ? Float64Array.from(sisa.probabilities) : softmaxRows(scores.logits, units, k);
    return { probabilities, labelOf: (u: number) => (sisa ? sisa.predictions[u]! : argmaxRow(probabilities, u, k)) };
  };
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    scorable.dispose();
  };
  return {
    dir: loaded.dir,
    kind: loaded.kind,
    labels,
    maxLength: defaultLength,
    device,
    task,
    predict(texts, predictOptions = {}) {
      if (disposed) throw new Error(`${loaded.dir}: predict() after dispose()`);
      if (task === 'token-classification') throw new Error(`${loaded.dir} is a tagger: tag() gives a tag per word`);
      const { maxLength, batchSize } = settings(predictOptions);
      texts.forEach((t, i) => {
        if (typeof t !== 'string') throw new TypeError(`text ${i} is not a string`);
      });
      if (texts.length === 0) return [];
      // Labels are unused by scoring; every example gets label 0.
      const examples: Example[] = texts.map((text, i) => ({ id: String(i), text, label: 0, labelName: labels[0]!, split: 'test' }));
      const scores = scorable.score(examples, { maxLength, batchSize });
      const k = labels.length;
      const { probabilities, labelOf } = decide(scores, texts.length);
      return texts.map((_, i) => {
        const labelId = labelOf(i);
        return {
          label: labels[labelId]!,
          labelId,
          probabilities: Object.fromEntries(labels.map((name, c) => [name, probabilities[i * k + c]!])),
        };
      });
    },
    tag(sentences, tagOptions = {}) {
      if (disposed) throw new Error(`${loaded.dir}: tag() after dispose()`);
      if (task !== 'token-classification') throw new Error(`${loaded.dir} classifies texts: predict() gives a label per text`);
      const { maxLength, batchSize } = settings(tagOptions);
      const words = sentences.map((s, i) => {
        const tokens = typeof s === 'string' ? s.split(/\s+/).filter((w) => w !== '') : [...s];
        if (tokens.length === 0) throw new TypeError(`sentence ${i} has no words`);
        if (tokens.some((w) => typeof w !== 'string' || w === '')) throw new TypeError(`sentence ${i}: every word must be a non-empty string`);
        return tokens;
      });
      if (words.length === 0) return [];
      // Tags are unused by scoring; every word gets tag 0.
      const examples: Example[] = words.map((tokens, i) => ({ id: String(i), text: tokens.join(' '), tokens, tags: tokens.map(() => 0), label: -1, labelName: '', split: 'test' }));
      const scores = scorable.score(examples, { maxLength, batchSize });
      const offsets = scores.unitOffsets!;
      const k = labels.length;
      const { probabilities, labelOf } = decide(scores, offsets[words.length]!);
      return words.map((tokens, i) => {
        // The first words of a sentence are its units; the rest fell past the window.
        const tags: (string | null)[] = tokens.map(() => null);
        const confidences: (number | null)[] = tokens.map(() => null);
        for (let u = offsets[i]!; u < offsets[i + 1]!; u++) {
          const tagId = labelOf(u);
          tags[u - offsets[i]!] = labels[tagId]!;
          confidences[u - offsets[i]!] = probabilities[u * k + tagId]!;
        }
        return { tokens, tags, scores: confidences };
      });
    },
    dispose,
    [Symbol.dispose]: dispose,
  };
}

/** Loads the model, classifies `texts` (in order) and frees the model. */
export function predictTexts(modelDir: string, texts: readonly string[], options: PredictOptions = {}): TextPrediction[] {
  const classifier = loadTextClassifier(modelDir, options);
  try {
    return classifier.predict(texts, options);
  } finally {
    classifier.dispose();
  }
}

/** One text to classify from a file, with its id when the file gives one. */
export interface TextInput {
  id?: string;
  text: string;
  /** A tagged file's words (a tagger tags them as given; a text classifier reads `text`, their join). */
  tokens?: string[];
}

function idOf(value: unknown, where: { file: string; line: number }): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new DataError(`field 'id' must be a string or number, got ${typeof value}`, where);
}

/**
 * Texts to classify from a file: .jsonl (objects with `text` or a tagged sentence's `tokens`,
 * optional `id`; other fields such as `label` or `tags` are ignored, so a dataset file works as is), .csv (a header row with a `text` column,
 * optional `id`), anything else one text per non-blank line.
 */
export async function readTextInputs(file: string): Promise<TextInput[]> {
  const ext = path.extname(file).toLowerCase();
  const out: TextInput[] = [];
  if (ext === '.jsonl') {
    for await (const { fields, line } of readJsonlObjects(file)) {
      const id = idOf(fields.id, { file, line });
      if (fields.tokens !== undefined) {
        const tokens = fields.tokens;
        if (!Array.isArray(tokens) || tokens.length === 0 || tokens.some((w) => typeof w !== 'string' || w === '')) {
          throw new DataError(`field 'tokens' must be a non-empty array of non-empty strings`, { file, line });
        }
        const words = tokens as string[];
        out.push({ ...(id === undefined ? {} : { id }), text: typeof fields.text === 'string' ? fields.text : words.join(' '), tokens: words });
        continue;
      }
      if (typeof fields.text !== 'string') throw new DataError(`missing string field 'text' (or 'tokens', a tagged sentence's words)`, { file, line });
      out.push(id === undefined ? { text: fields.text } : { id, text: fields.text });
    }
  } else if (ext === '.csv') {
    const parser = new CsvLineParser(file);
    let header: string[] | undefined;
    for await (const { line, text } of readUtf8Lines(file)) {
      if (text === '' && !parser.pendingField()) continue;
      const row = parser.pushLine(text, line);
      if (row === undefined) continue;
      if (header === undefined) {
        header = row.fields.map((name) => name.trim());
        if (!header.includes('text')) throw new DataError(`no 'text' column in the CSV header (columns: ${header.join(', ')})`, { file, line: row.line });
        continue;
      }
      if (row.fields.length !== header.length) throw new DataError(`ragged row: ${row.fields.length} fields, header has ${header.length}`, { file, line: row.line });
      const value = (name: string) => row.fields[header!.indexOf(name)];
      const id = header.includes('id') ? idOf(value('id'), { file, line: row.line }) : undefined;
      const t = value('text')!;
      out.push(id === undefined ? { text: t } : { id, text: t });
    }
    parser.finish();
    if (header === undefined) throw new DataError('empty CSV file (no header row)', { file });
  } else {
    for await (const { text } of readUtf8Lines(file)) if (text.trim() !== '') out.push({ text });
  }
  return out;
}
