// What an unlearning method is. Most methods are a loss over one forget batch and one
// retain batch (the loop in ./loop.ts does the rest: batching, optimiser, stopping rule,
// checkpoints); a few (retrain, sisa) replace the loop entirely.
import type { Device, Tensor } from '../engine';
import type { Module } from '../nn';
import type { Example } from '../data';
import type { UnitClassifier } from '../model';
import type { LabelledBatch } from '../train/batches';

export type Classifier = UnitClassifier & Module;

/** One numeric hyper-parameter: its default and a one-line rationale (shown by --help). */
export interface HyperParameter {
  default: number;
  help: string;
}

export type HyperParameters = Readonly<Record<string, number>>;

/** What a loss sees at one optimisation step. */
export interface StepContext<State> {
  model: Classifier;
  /** 0-based optimisation step. */
  step: number;
  hp: HyperParameters;
  state: State;
  /** Tokenises examples into tensors (inside the step's scope). */
  encode(examples: readonly Example[]): LabelledBatch;
  /** A seeded uniform [0,1) source for this step (same step + seed → same numbers, so resume is exact). */
  random: () => number;
}

export interface LossResult {
  /** The scalar to minimise. */
  total: Tensor;
  /** Named components to log per step (scalars). */
  parts: Record<string, Tensor>;
}

/** Built once before the loop: extra trainable modules, frozen teachers. */
export interface SetupContext {
  model: Classifier;
  hp: HyperParameters;
  /** A fresh, frozen copy of the model being unlearned (e.g. SCRUB's teacher). */
  loadOriginal(): Classifier;
  /** The whole forget set and the tokeniser the steps use (SalUn's saliency is measured on it). */
  forget: readonly Example[];
  encode(examples: readonly Example[]): LabelledBatch;
}

export interface MethodState {
  /** Extra modules trained with the model and discarded afterwards (checkpointed for resume). */
  modules?: Record<string, Module>;
  dispose?(): void;
}

interface MethodBase {
  name: string;
  /** One line for `deepcut unlearn --help`. */
  description: string;
  /** Method-specific hyper-parameters; they may also override the loop's (lr, steps, ...). */
  hyperparameters: Readonly<Record<string, HyperParameter>>;
}

export interface LossMethod<State extends MethodState = MethodState> extends MethodBase {
  kind: 'loss';
  /** Which batches the loss reads (the loop skips building the other). */
  uses: { forget: boolean; retain: boolean };
  setup?(ctx: SetupContext): State;
  loss(ctx: StepContext<State>, forget: readonly Example[], retain: readonly Example[]): LossResult;
  /** Runs after backward, before clipping and the optimiser step (SalUn masks the gradients here). */
  afterBackward?(ctx: StepContext<State>): void;
}

/** Everything a method that runs its own procedure gets. */
export interface RunContext {
  /** Folder of the model being unlearned (never modified). */
  modelDir: string;
  out: string;
  forget: readonly Example[];
  retain: readonly Example[];
  validation: readonly Example[];
  labels: readonly string[];
  hp: HyperParameters;
  seed: number;
  resume: boolean;
  /** The pretrained encoder the original was fine-tuned from (default: its train.json's base_model). */
  baseModel?: string;
  /** Where to compute ('cpu', 'cuda:N'; default cpu): models the method loads go there. */
  device?: Device;
  log(line: string): void;
  onStep?(p: { step: number; total: number; values: Record<string, number> }): void;
}

export interface RunResult {
  steps: number;
  losses: { step: number; values: Record<string, number> }[];
  /** Method-specific facts for unlearn.json (e.g. SISA's retrained shards). */
  details?: Record<string, unknown>;
}

export interface CustomMethod extends MethodBase {
  kind: 'custom';
  /** Writes the unlearned model (an HF folder or another deepcut model folder) to ctx.out. */
  run(ctx: RunContext): Promise<RunResult> | RunResult;
}

// Method-syntax members are checked bivariantly, so a LossMethod<OwnState> fits here.
export type UnlearningMethod = LossMethod<MethodState> | CustomMethod;
