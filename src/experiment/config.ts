// An experiment config (YAML): which datasets, forget requests, methods and seeds to run, and
// the settings shared by every run. Validated with zod; every error names the file, the field
// (dotted path) and, where the YAML has it, the line, because a grid that fails hours in on a
// typo is the costliest kind of mistake.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { DEFAULT_SEED, isBuiltinDataset, listBuiltinDatasets, parseForgetSpec } from '../data';
import { getMethod, listMethods, resolveHyperparameters, STOP_RULES, type StopRule } from '../methods';
import { DEFAULT_ENCODER } from '../model/default-encoder';
import { DEFAULT_RETAIN_SAMPLE } from '../eval/evaluate';
import { AUDIT_ATTACKS, type AuditAttack } from '../eval/membership-audit';
import { DEFAULT_RELEARN_STEPS } from '../eval/relearn-steps';
import { FINETUNE_DEFAULTS } from '../train/finetune';
import type { FinetuneSettings } from '../train/run';

/** Always run: every other model is measured against it. */
export const REFERENCE_METHOD = 'retrain';
/** Methods an experiment cannot run from a plain fine-tuned original. */
const UNSUPPORTED_METHODS: Readonly<Record<string, string>> = {
  sisa: 'it needs a SISA-trained original (deepcut finetune --sisa-shards); experiments fine-tune one plain model per dataset and seed',
};

export class ConfigError extends Error {
  constructor(readonly file: string, readonly field: string | undefined, message: string, readonly line?: number) {
    super(`${file}${line !== undefined ? `: line ${line}` : ''}${field ? `: field '${field}'` : ''}: ${message}`);
    this.name = 'ConfigError';
  }
}

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

const schema = z.object({
  name: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-" only (it names folders)'),
  out: z.string().min(1).optional(),
  base_model: z.string().min(1).optional(),
  datasets: z.array(z.string().min(1)).min(1),
  forget: z.array(z.string().min(1)).min(1),
  methods: z.array(z.string().min(1)).min(1),
  seeds: z.array(nonNegativeInt).min(1),
  split_seed: nonNegativeInt.optional(),
  finetune: z.object({
    epochs: positiveInt.optional(),
    batch: positiveInt.optional(),
    lr: z.number().positive().optional(),
    max_length: positiveInt.optional(),
    patience: positiveInt.optional(),
    weight_decay: z.number().nonnegative().optional(),
    warmup_fraction: z.number().min(0).max(1).optional(),
    linear_probe: z.boolean().optional(),
    freeze_layers: z.number().int().nonnegative().optional(),
    dropout: z.number().min(0).lt(1).optional(),
  }).strict().optional(),
  hp: z.record(z.string(), z.record(z.string(), z.number())).optional(),
  stop: z.enum(STOP_RULES).optional(),
  references: z.object({ k: z.number().int().min(2).optional() }).strict().optional(),
  eval: z.object({
    retain_sample: nonNegativeInt.optional(),
    batch: positiveInt.optional(),
    seed: nonNegativeInt.optional(),
    audit: z.array(z.enum(AUDIT_ATTACKS)).min(1).optional(),
    audit_references: positiveInt.optional(),
    relearn: z.union([z.boolean(), z.array(positiveInt).min(1)]).optional(),
    relearn_lr: z.number().positive().optional(),
  }).strict().optional(),
}).strict();

export type RawConfig = z.input<typeof schema>;

export interface DatasetEntry {
  /** Folder name and table label: the built-in name or the file's base name. */
  key: string;
  /** Built-in name or absolute file path (what loadDataset takes). */
  source: string;
}

export interface ForgetEntry {
  /** Folder name: the spec made file-system safe. */
  key: string;
  spec: string;
}

export interface ExperimentConfig {
  name: string;
  /** Where the config came from (file path, or a description for built-in configs). */
  source: string;
  /** Folder relative ids: forget files are resolved against. */
  baseDir: string;
  /** Absolute output folder. */
  out: string;
  /** Absolute encoder folder every original and retrain starts from. */
  baseModel: string;
  datasets: DatasetEntry[];
  forget: ForgetEntry[];
  /** Methods to compare, without the reference (retrain), which always runs. */
  methods: string[];
  seeds: number[];
  splitSeed: number;
  /** Fine-tune settings of the originals (and so of retrain); the seed is the experiment seed. */
  finetune: Omit<FinetuneSettings, 'seed'>;
  /** Per-method hyper-parameter overrides (validated against each method). */
  hp: Record<string, Record<string, number>>;
  stop: StopRule;
  /** stop: references: K reference models trained once beside each original (dataset, seed). */
  references: { k: number };
  eval: {
    retainSample: number; batchSize: number; seed: number;
    /** Per-example membership audit (needs the original's reference models: planned when set). */
    audit?: AuditAttack[];
    auditReferences?: number;
    /** Relearning check step counts, and its rate (default: the original's fine-tuning rate). */
    relearn?: number[];
    relearnLr?: number;
  };
}

/** Reference models per original when `stop: references` and the config does not say. */
export const DEFAULT_REFERENCES_K = 4;

export interface ParseOptions {
  /** Named in errors: the config file, or e.g. 'the demo config'. */
  source: string;
  /** Relative paths (datasets, base_model, ids: files) are resolved against it. */
  baseDir: string;
  /** Relative `out` is resolved against it (default: the working directory, like --out). */
  cwd?: string;
  /** Replaces the config's `out`. */
  out?: string;
  /** Maps a field path to its line, when the config came from YAML. */
  lineOf?: (fieldPath: readonly (string | number)[]) => number | undefined;
}

/** Reads and validates a YAML config; relative paths inside are relative to the file's folder. */
export function loadConfigFile(file: string, options: { out?: string; cwd?: string } = {}): ExperimentConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, undefined, `cannot read the config: ${err instanceof Error ? err.message : String(err)}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const [first] = doc.errors;
  if (first) {
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new ConfigError(file, undefined, `invalid YAML: ${first.message.split('\n')[0]}`, line);
  }
  return parseConfig(doc.toJS(), {
    source: file, baseDir: path.dirname(path.resolve(file)), ...options,
    lineOf: (fieldPath) => lineOfField(doc, lineCounter, fieldPath),
  });
}

/** The line of the value at fieldPath, else of its nearest present parent (for a bad item inside a list, say). */
function lineOfField(doc: Document, lines: LineCounter, fieldPath: readonly (string | number)[]): number | undefined {
  for (let n = fieldPath.length; n >= 1; n--) {
    const node = doc.getIn(fieldPath.slice(0, n), true) as { range?: [number, number, number] } | null | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Validates an already parsed config object (a YAML document's content or a built-in preset). */
export function parseConfig(raw: unknown, options: ParseOptions): ExperimentConfig {
  function fail(fieldPath: readonly (string | number)[], message: string, withLine = true): never {
    const line = withLine ? options.lineOf?.(fieldPath) : undefined;
    throw new ConfigError(options.source, fieldPath.length > 0 ? fieldPath.join('.') : undefined, message, line);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail([], 'the config must be a mapping (name: ..., datasets: [...], ...)');
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') fail(issue.path, `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`);
    const missing = issue.code === 'invalid_type' && issue.received === 'undefined';
    // A missing field has no line of its own (its parent's would mislead).
    fail(issue.path, missing ? 'required field is missing' : issue.message, !missing);
  }
  const c = parsed.data;
  const resolve = (p: string) => path.resolve(options.baseDir, p);

  const datasets = c.datasets.map((name, i): DatasetEntry => {
    if (isBuiltinDataset(name)) return { key: name, source: name };
    const file = resolve(name);
    if (!fs.existsSync(file)) fail(['datasets', i], `'${name}' is neither a built-in dataset (${listBuiltinDatasets().join(', ')}) nor an existing file (${file})`);
    return { key: path.basename(file, path.extname(file)), source: file };
  });
  duplicates(datasets.map((d) => d.key), (i, key) => fail(['datasets', i], `dataset '${key}' is listed twice`));

  c.forget.forEach((spec, i) => {
    try {
      parseForgetSpec(spec);
    } catch (err) {
      fail(['forget', i], err instanceof Error ? err.message : String(err));
    }
  });
  duplicates(c.forget, (i, spec) => fail(['forget', i], `forget spec '${spec}' is listed twice`));
  const forget = forgetKeys(c.forget).map((key, i) => ({ key, spec: c.forget[i]! }));

  const known = listMethods().map((m) => m.name);
  c.methods.forEach((name, i) => {
    if (!known.includes(name)) fail(['methods', i], `unknown method '${name}' (known: ${known.join(', ')})`);
    const why = UNSUPPORTED_METHODS[name];
    if (why) fail(['methods', i], `method '${name}' cannot run in an experiment: ${why}`);
  });
  duplicates(c.methods, (i, name) => fail(['methods', i], `method '${name}' is listed twice`));
  const methods = c.methods.filter((m) => m !== REFERENCE_METHOD);
  duplicates(c.seeds.map(String), (i, seed) => fail(['seeds', i], `seed ${seed} is listed twice`));

  const hp = c.hp ?? {};
  for (const [method, overrides] of Object.entries(hp)) {
    if (!methods.includes(method)) fail(['hp', method], `hyper-parameters for '${method}', which is not in methods (${methods.join(', ')})`);
    for (const [name, value] of Object.entries(overrides)) {
      try {
        resolveHyperparameters(getMethod(method), { [name]: value });
      } catch (err) {
        fail(['hp', method, name], err instanceof Error ? err.message : String(err));
      }
    }
  }

  if (c.references !== undefined && c.stop !== 'references' && c.eval?.audit === undefined) fail(['references'], `reference models are only trained for 'stop: references' or 'eval.audit' (stop is '${c.stop ?? 'accuracy'}')`);
  if (c.eval?.audit_references !== undefined && c.eval.audit === undefined) fail(['eval', 'audit_references'], "is an option of 'eval.audit'");
  if (c.eval?.relearn_lr !== undefined && (c.eval.relearn === undefined || c.eval.relearn === false)) fail(['eval', 'relearn_lr'], "is an option of 'eval.relearn'");
  const f = c.finetune ?? {};
  const e = c.eval ?? {};
  const outPath = options.out ?? c.out ?? path.join('runs', c.name);
  return {
    name: c.name,
    source: options.source,
    baseDir: options.baseDir,
    // --out and `out` are output locations, so relative to where the command runs (like every --out).
    out: path.resolve(options.cwd ?? process.cwd(), outPath),
    baseModel: c.base_model !== undefined ? resolve(c.base_model) : DEFAULT_ENCODER,
    datasets,
    forget,
    methods,
    seeds: c.seeds,
    splitSeed: c.split_seed ?? DEFAULT_SEED,
    finetune: {
      epochs: f.epochs ?? FINETUNE_DEFAULTS.epochs,
      batchSize: f.batch ?? FINETUNE_DEFAULTS.batchSize,
      lr: f.lr ?? FINETUNE_DEFAULTS.lr,
      weightDecay: f.weight_decay ?? FINETUNE_DEFAULTS.weightDecay,
      warmupFraction: f.warmup_fraction ?? FINETUNE_DEFAULTS.warmupFraction,
      maxLength: f.max_length ?? FINETUNE_DEFAULTS.maxLength,
      patience: f.patience ?? FINETUNE_DEFAULTS.patience,
      linearProbe: f.linear_probe ?? FINETUNE_DEFAULTS.linearProbe,
      ...(f.freeze_layers !== undefined ? { freezeLayers: f.freeze_layers } : {}),
      ...(f.dropout !== undefined ? { dropout: f.dropout } : {}),
    },
    hp,
    stop: c.stop ?? 'accuracy',
    references: { k: c.references?.k ?? DEFAULT_REFERENCES_K },
    eval: {
      retainSample: e.retain_sample ?? DEFAULT_RETAIN_SAMPLE, batchSize: e.batch ?? 32, seed: e.seed ?? 0,
      ...(e.audit ? { audit: [...new Set(e.audit)] } : {}),
      ...(e.audit_references !== undefined ? { auditReferences: e.audit_references } : {}),
      ...(e.relearn === true ? { relearn: [...DEFAULT_RELEARN_STEPS] } : Array.isArray(e.relearn) ? { relearn: [...new Set(e.relearn)].sort((a, b) => a - b) } : {}),
      ...(e.relearn_lr !== undefined ? { relearnLr: e.relearn_lr } : {}),
    },
  };
}

function duplicates(values: readonly string[], report: (index: number, value: string) => void): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) report(i, v);
    seen.add(v);
  });
}

/**
 * Folder names for forget specs: the spec with ":" as "-" and anything outside [A-Za-z0-9._@+-]
 * as "_" (so "random:0.01" → "random-0.01"); a long name, or one two specs would share, gets a
 * short hash of the spec so folders never collide.
 */
export function forgetKeys(specs: readonly string[]): string[] {
  const plain = specs.map((s) => s.replace(/:/g, '-').replace(/[^A-Za-z0-9._@+-]/g, '_').replace(/^\.+/, '_'));
  return plain.map((key, i) => {
    const shared = plain.some((other, j) => j !== i && other === key);
    if (!shared && key.length <= 60) return key;
    return `${key.slice(0, 48)}-${hash8(specs[i]!)}`;
  });
}

function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
