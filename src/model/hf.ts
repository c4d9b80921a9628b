// Hugging Face model folders in and out: config.json + model.safetensors
// (+ tokenizer files). Names and layout are HF's, so a fine-tuned
// bert-base-uncased / roberta-base / distilbert-base-uncased folder loads as is
// and what we save loads back into transformers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tensor } from '../engine/tensor';
import { resolveDevice, type DeviceSpec } from '../engine/device';
import { loadSafetensors, saveSafetensors } from '../io/safetensors';
import { writeDirAtomic, writeFileAtomic } from '../io/atomic';
import { loadTokenizer } from '../text/load';
import type { SequenceTokenizer } from '../text/types';
import { ConfigError, parseHfConfig, toHfConfig, type EncoderConfig } from './config';
import { buildModel } from './factory';
import { loadCheckpoint, type CheckpointReport } from './checkpoint';
import type { PretrainedModel, Task, TaskModels, UnitClassifier } from './types';
import type { Module } from '../nn/module';

export interface LoadPretrainedOptions<T extends Task> {
  /** Which head to build; default 'sequence-classification' (whatever head the checkpoint has). */
  task?: T;
  /** Number of labels for a (new) classification head; default: the config's id2label. */
  numLabels?: number;
  /** Label names in id order (sets numLabels); default: the config's id2label, else LABEL_i. */
  labels?: readonly string[];
  /** Replaces every dropout probability of the config (hidden, attention, classifier). */
  dropout?: number;
  /** Where the model's tensors go: 'cpu' (default), 'auto', 'cuda' or 'cuda:N'. The weights are read (and a new head drawn) on the CPU, then moved once. */
  device?: DeviceSpec;
}

export interface Pretrained<M> {
  model: M;
  /** tokenizer.json's tokenizer, when the folder has one. */
  tokenizer?: SequenceTokenizer;
  report: CheckpointReport;
  /** The folder it came from (absolute). */
  dir: string;
}

/** Tokenizer files HF writes next to a model; copied as they are. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'vocab.txt', 'vocab.json', 'merges.txt'];

/** The parsed config and its architectures[0] (the class that wrote the checkpoint). */
function readConfig(file: string): { config: EncoderConfig; architecture?: string } {
  if (!fs.existsSync(file)) throw new Error(`${file}: not found (a Hugging Face model folder needs config.json)`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, '(root)', `malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const architectures = (json as { architectures?: unknown }).architectures;
  const architecture = Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : undefined;
  return { config: parseHfConfig(json, file), architecture };
}

function withLabels(config: EncoderConfig, options: { numLabels?: number; labels?: readonly string[] }): EncoderConfig {
  const { numLabels, labels } = options;
  if (labels) {
    if (numLabels !== undefined && numLabels !== labels.length) throw new Error(`numLabels ${numLabels} disagrees with ${labels.length} labels`);
    return { ...config, labels: [...labels] };
  }
  if (numLabels !== undefined && numLabels !== config.labels.length) {
    if (!Number.isInteger(numLabels) || numLabels < 1) throw new RangeError(`numLabels must be a positive integer, got ${numLabels}`);
    return { ...config, labels: Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`) };
  }
  return config;
}

/** The config with every dropout probability replaced by `dropout` (unchanged without one). */
function withDropout(config: EncoderConfig, dropout: number | undefined): EncoderConfig {
  if (dropout === undefined) return config;
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`dropout must be in [0, 1), got ${dropout}`);
  return { ...config, hiddenDropout: dropout, attentionDropout: dropout, classifierDropout: dropout };
}

/** The folder's weights by name (upcast to float32); explains the formats we do not read. */
function readWeights(dir: string): { tensors: Map<string, Tensor>; file: string } {
  const single = path.join(dir, 'model.safetensors');
  if (fs.existsSync(single)) return { tensors: loadSafetensors(single), file: single };
  const index = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(index)) {
    const weightMap = (JSON.parse(fs.readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> }).weight_map ?? {};
    const tensors = new Map<string, Tensor>();
    for (const shard of new Set(Object.values(weightMap))) for (const [k, t] of loadSafetensors(path.join(dir, shard))) tensors.set(k, t);
    return { tensors, file: index };
  }
  if (fs.existsSync(path.join(dir, 'pytorch_model.bin'))) {
    throw new Error(
      `${dir}: only pytorch_model.bin found; PyTorch pickle checkpoints are out of scope (deepcut reads model.safetensors). Convert it once with Python:\n` +
        `  python -c "import torch; from safetensors.torch import save_file; sd = torch.load('${path.join(dir, 'pytorch_model.bin')}', map_location='cpu'); save_file({k: v.contiguous() for k, v in sd.items()}, '${single}', metadata={'format': 'pt'})"\n` +
        `or with transformers: AutoModel...from_pretrained(dir).save_pretrained(dir, safe_serialization=True). (Tied copies such as cls.predictions.decoder.weight may need dropping first: save_file refuses shared tensors.)`,
    );
  }
  throw new Error(`${dir}: no model.safetensors (or model.safetensors.index.json) found`);
}

/**
 * Loads a HF model folder into the model for `task`. Encoder tensors must all be there;
 * a head (or pooler) the checkpoint lacks is initialised N(0, initializer_range) and listed in
 * report.newlyInitialized. Throws a StateDictError listing every missing/unexpected/mis-shaped tensor.
 */
export function loadPretrained<T extends Task = 'sequence-classification'>(dir: string, options: LoadPretrainedOptions<T> = {}): Pretrained<TaskModels[T]> {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`${root}: not a directory`);
  const configFile = path.join(root, 'config.json');
  const { config: fileConfig, architecture } = readConfig(configFile);
  const config = withDropout(withLabels(fileConfig, options), options.dropout);
  const task = (options.task ?? 'sequence-classification') as T;
  const { tensors, file } = readWeights(root);
  const model = buildModel(config, task);
  let report: CheckpointReport;
  try {
    report = loadCheckpoint(model, tensors, file, architecture);
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  if (options.device !== undefined && options.device !== 'cpu') {
    try {
      model.to(resolveDevice(options.device));
    } catch (err) {
      model.dispose();
      throw err;
    }
  }
  const tokenizer = fs.existsSync(path.join(root, 'tokenizer.json')) ? loadTokenizer(root) : undefined;
  return { model, tokenizer, report, dir: root };
}

/** The encoder config a model folder records (config.json, parsed; no weights read). */
export function savedConfig(dir: string): EncoderConfig {
  return readConfig(path.join(path.resolve(dir), 'config.json')).config;
}

/** The task a folder's saved head does: a *ForTokenClassification checkpoint tags, anything else classifies texts. */
export function savedTask(dir: string): ClassifierTask {
  const { architecture } = readConfig(path.join(path.resolve(dir), 'config.json'));
  return architecture?.endsWith('ForTokenClassification') ? 'token-classification' : 'sequence-classification';
}

export type ClassifierTask = 'sequence-classification' | 'token-classification';

/**
 * A classifier of either kind (UnitClassifier): `task` when given (a new head on a pretrained
 * encoder), else the one the folder's checkpoint was saved as (savedTask).
 */
export function loadClassifier(dir: string, options: Omit<LoadPretrainedOptions<ClassifierTask>, 'task'> & { task?: ClassifierTask } = {}): Pretrained<UnitClassifier & Module> {
  const task = options.task ?? savedTask(dir);
  const loaded = loadPretrained(dir, { ...options, task });
  return { ...loaded, model: loaded.model as UnitClassifier & Module };
}

export interface SavePretrainedOptions {
  /** Folder whose tokenizer files (TOKENIZER_FILES) are copied along. */
  tokenizerDir?: string;
  /** Replace an existing folder (atomically). Without it an existing folder is an error. */
  overwrite?: boolean;
  /** The dropout rates config.json records (default: the model's): a run that trained with other rates saves the model's own. */
  dropoutOf?: Pick<EncoderConfig, 'hiddenDropout' | 'attentionDropout' | 'classifierDropout'>;
}

/**
 * Writes config.json (with id2label/label2id), model.safetensors (float32) and the tokenizer
 * files into a fresh sibling folder, then renames it into place: `dir` is never half-written.
 */
export function savePretrained(model: PretrainedModel, dir: string, options: SavePretrainedOptions = {}): void {
  const target = path.resolve(dir);
  if (fs.existsSync(target) && !options.overwrite) {
    throw new Error(`${target} already exists; refusing to overwrite it (pass overwrite: true to replace it)`);
  }
  writeDirAtomic(target, (staging) => {
    const d = options.dropoutOf;
    const config = d ? { ...model.config, hiddenDropout: d.hiddenDropout, attentionDropout: d.attentionDropout, classifierDropout: d.classifierDropout } : model.config;
    writeFileAtomic(path.join(staging, 'config.json'), `${JSON.stringify(toHfConfig(config, model.architecture), null, 2)}\n`);
    // Tensors on a GPU are copied to the host as they are written (safetensors holds CPU bytes).
    saveSafetensors(path.join(staging, 'model.safetensors'), model.stateDict(), { format: 'pt' });
    if (options.tokenizerDir) copyTokenizerFiles(path.resolve(options.tokenizerDir), staging);
  });
}

/** Copies the tokenizer files (TOKENIZER_FILES) present in `from` into `to`; throws if there are none. */
export function copyTokenizerFiles(from: string, to: string): void {
  const present = TOKENIZER_FILES.filter((f) => fs.existsSync(path.join(from, f)));
  if (present.length === 0) throw new Error(`${from}: no tokenizer files (${TOKENIZER_FILES.join(', ')})`);
  for (const f of present) fs.copyFileSync(path.join(from, f), path.join(to, f));
}
