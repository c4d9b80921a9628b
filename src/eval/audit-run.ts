/**
 * The per-example membership audit run on models: the reference models of `deepcut references`
 * (subject-disjoint partitions of the train split, so every forget row has K − 1 references that
 * never saw its data subject, and every test or validation row has K) score the audited rows once;
 * then any number of audited models (the unlearned one, the retrained one) are attacked with them.
 *
 * Rows: members = the forget set, non-members = the test split, RMIA's population = the validation
 * split (non-members that are not audited). Every row gets the same number of OUT references
 * (`perRow`, at most K − 1), chosen in an order rotated by a hash of its id, so forget and test rows
 * are judged by equally many models and each reference serves about the same share.
 *
 * Loads libtorch (it runs models): import by path, like scorable.ts.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { splitOf, type Dataset, type Example } from '../data';
import { datasetHash } from '../data/hash';
import type { Device } from '../engine/device';
import { loadReferencesFor, type ReferencesExpectation } from '../methods/target/manifest';
import {
  AUDIT_ATTACKS, attackSummary, liraOfflineScores, logitScaledConfidence, rmiaOfflineScores, RMIA_DEFAULTS, trueClassLogProb, type AuditAttack, type AuditMetrics, type AuditSignal,
} from './membership-audit';

export { AUDIT_ATTACKS, type AuditAttack, type AuditMetrics };
import { loadScorable, type Scorable } from './scorable';

export function parseAuditAttacks(value: string, where: string): AuditAttack[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new Error(`${where}: name at least one attack (${AUDIT_ATTACKS.join(', ')})`);
  for (const n of names) if (!(AUDIT_ATTACKS as readonly string[]).includes(n)) throw new Error(`${where}: unknown attack '${n}' (known: ${AUDIT_ATTACKS.join(', ')})`);
  return [...new Set(names)] as AuditAttack[];
}

export interface AuditReferenceModel {
  /** Absolute model folder. */
  dir: string;
  /** The train ids it was fine-tuned on. */
  seen: ReadonlySet<string>;
}

/** The reference models of one or more `deepcut references` folders, checked against the data (loadReferencesFor). */
export function auditReferences(dirs: readonly string[], want: ReferencesExpectation): AuditReferenceModel[] {
  if (dirs.length === 0) throw new Error('the membership audit needs reference models: pass --references DIR (a `deepcut references` folder)');
  return dirs.flatMap((dir) => loadReferencesFor(dir, want).partitions.map((p) => ({ dir: path.resolve(dir, p.folder), seen: new Set(p.ids) })));
}

export interface AuditRows {
  forget: readonly Example[];
  test: readonly Example[];
  population: readonly Example[];
}

type RowSet = keyof AuditRows;
const ROW_SETS: readonly RowSet[] = ['forget', 'test', 'population'];

/** Per row set: for each row, the logits (C values) of each OUT reference chosen for it. */
export interface ReferenceAuditScores {
  numLabels: number;
  references: number;
  perRow: number;
  rows: Record<RowSet, { labels: Int32Array; logits: Float32Array[][] }>;
  seconds: number;
  /** Rows scored in all, over the references. */
  rowsScored: number;
}

function rotation(id: string, k: number): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % k;
}

/** The references serving one row: the first `perRow` that never saw it, starting at a rotation fixed by its id. */
export function outReferencesFor(id: string, refs: readonly AuditReferenceModel[], perRow: number): number[] {
  const start = rotation(id, refs.length);
  const out: number[] = [];
  for (let j = 0; j < refs.length && out.length < perRow; j++) {
    const r = (start + j) % refs.length;
    if (!refs[r]!.seen.has(id)) out.push(r);
  }
  return out;
}

export interface ScoreReferencesOptions {
  maxLength: number;
  batchSize: number;
  device: Device;
  /** OUT references per row (default: the most every row has, K − 1 for K disjoint partitions). */
  perRow?: number;
  onReference?(index: number, total: number): void;
}

/** Scores every reference on the rows it serves (one load each). */
export function scoreReferences(refs: readonly AuditReferenceModel[], rows: AuditRows, options: ScoreReferencesOptions): ReferenceAuditScores {
  const started = Date.now();
  if (rows.forget.length === 0) throw new Error('the membership audit needs at least one forget row');
  if (rows.test.length === 0) throw new Error('the membership audit needs test rows (its non-members)');
  if (rows.population.length === 0) throw new Error('the membership audit needs validation rows (RMIA\'s population of non-members)');
  const available = Math.min(...ROW_SETS.flatMap((s) => rows[s].map((e) => refs.filter((r) => !r.seen.has(e.id)).length)));
  if (available === 0) {
    const id = ROW_SETS.flatMap((s) => rows[s]).find((e) => refs.every((r) => r.seen.has(e.id)))!.id;
    throw new Error(`every reference model saw record '${id}': the audit needs references that never trained on the audited rows (train them on subject-disjoint partitions with 'deepcut references')`);
  }
  const perRow = options.perRow ?? available;
  if (!Number.isInteger(perRow) || perRow < 1) throw new Error(`references per row must be a positive integer, got ${perRow}`);
  if (perRow > available) throw new Error(`${perRow} references per row asked for, but some audited row has only ${available} reference model${available === 1 ? '' : 's'} that never saw it`);
  const chosen = Object.fromEntries(ROW_SETS.map((s) => [s, rows[s].map((e) => outReferencesFor(e.id, refs, perRow))])) as Record<RowSet, number[][]>;
  let numLabels = 0;
  const logits = Object.fromEntries(ROW_SETS.map((s) => [s, rows[s].map(() => [] as Float32Array[])])) as Record<RowSet, Float32Array[][]>;
  let rowsScored = 0;
  refs.forEach((ref, r) => {
    const wanted = ROW_SETS.flatMap((s) => rows[s].map((e, i) => ({ s, i, e })).filter(({ s: set, i }) => chosen[set][i]!.includes(r)));
    if (wanted.length === 0) return;
    options.onReference?.(r, refs.length);
    const { scorable } = loadScorable(ref.dir, { device: options.device });
    try {
      numLabels = checkLabels(scorable, numLabels, ref.dir);
      const out = scorable.score(wanted.map((w) => w.e), { maxLength: options.maxLength, batchSize: options.batchSize });
      wanted.forEach((w, j) => logits[w.s][w.i]!.push(out.logits.slice(j * numLabels, (j + 1) * numLabels)));
      rowsScored += wanted.length;
    } finally {
      scorable.dispose();
    }
  });
  const labelsOf = (s: RowSet) => Int32Array.from(rows[s], (e) => e.label);
  return {
    numLabels, references: refs.length, perRow, seconds: (Date.now() - started) / 1000, rowsScored,
    rows: Object.fromEntries(ROW_SETS.map((s) => [s, { labels: labelsOf(s), logits: logits[s] }])) as ReferenceAuditScores['rows'],
  };
}

function checkLabels(scorable: Scorable, known: number, dir: string): number {
  if (known !== 0 && scorable.numLabels !== known) throw new Error(`${dir}: ${scorable.numLabels} labels, the other references ${known}`);
  return scorable.numLabels;
}

/** The audited model's logits on the three row sets (row-major n × C). */
export type TargetAuditLogits = Record<RowSet, ArrayLike<number>>;

function signals(target: ArrayLike<number>, refs: ReferenceAuditScores, set: RowSet, f: typeof trueClassLogProb): AuditSignal {
  const { labels, logits } = refs.rows[set];
  const c = refs.numLabels;
  return {
    target: f(target, labels, c),
    references: logits.map((perRef, i) => perRef.map((l) => f(l, labels.subarray(i, i + 1), c)[0]!)),
  };
}

/** Runs the requested attacks on one audited model. */
export function auditModel(target: TargetAuditLogits, refs: ReferenceAuditScores, attacks: readonly AuditAttack[]): AuditMetrics {
  for (const s of ROW_SETS) {
    const want = refs.rows[s].labels.length * refs.numLabels;
    if (target[s].length !== want) throw new Error(`the audited model's ${s} logits have ${target[s].length} values, expected ${want} (${refs.rows[s].labels.length} rows × ${refs.numLabels} labels)`);
  }
  const out: AuditMetrics = {};
  for (const attack of attacks) {
    if (attack === 'lira') {
      const [forget, test] = liraOfflineScores([signals(target.forget, refs, 'forget', logitScaledConfidence), signals(target.test, refs, 'test', logitScaledConfidence)]).scores;
      out.lira = attackSummary(forget!, test!);
    } else {
      const population = signals(target.population, refs, 'population', trueClassLogProb);
      const [forget, test] = rmiaOfflineScores([signals(target.forget, refs, 'forget', trueClassLogProb), signals(target.test, refs, 'test', trueClassLogProb)], population, RMIA_DEFAULTS);
      out.rmia = attackSummary(forget!, test!);
    }
  }
  return out;
}

/** What metrics.json records about how the audit was run (its cost included). */
export interface AuditSetup {
  attacks: AuditAttack[];
  reference_models: number;
  references_per_row: number;
  members: string;
  non_members: string;
  population: string;
  rmia: { a: number; gamma: number };
  /** Wall seconds scoring the reference models (once per forget set; shared by every audited model). */
  reference_seconds: number;
  reference_rows_scored: number;
}

export function auditSetup(attacks: readonly AuditAttack[], refs: ReferenceAuditScores, rows: AuditRows): AuditSetup {
  return {
    attacks: [...attacks], reference_models: refs.references, references_per_row: refs.perRow,
    members: `forget set (${rows.forget.length} rows)`, non_members: `test split (${rows.test.length} rows)`, population: `validation split (${rows.population.length} rows)`,
    rmia: { ...RMIA_DEFAULTS }, reference_seconds: refs.seconds, reference_rows_scored: refs.rowsScored,
  };
}

/** The reference side of an audit, computed once per forget set and shared by every audited model. */
export interface PreparedAudit {
  attacks: AuditAttack[];
  rows: AuditRows;
  references: ReferenceAuditScores;
  setup: AuditSetup;
}

export interface PrepareAuditInput extends ScoreReferencesOptions {
  attacks: readonly AuditAttack[];
  /** `deepcut references` folders. */
  dirs: readonly string[];
  /** The data the audited models were trained on: the references must match its train split; its validation split is RMIA's population. */
  dataset: Dataset;
  splitSeed: number;
  /** The audited rows, in the order the evaluation scored them. */
  forget: readonly Example[];
  test: readonly Example[];
}

export function prepareAudit(input: PrepareAuditInput): PreparedAudit {
  const ds = input.dataset;
  const refs = auditReferences(input.dirs, { dataset: ds.name, splitSeed: input.splitSeed, trainHash: datasetHash(splitOf(ds, 'train')), labels: ds.labels });
  const rows: AuditRows = { forget: input.forget, test: input.test, population: splitOf(ds, 'validation') };
  const references = scoreReferences(refs, rows, input);
  return { attacks: [...input.attacks], rows, references, setup: auditSetup(input.attacks, references, rows) };
}

/** Attacks one model: its forget and test logits from its evaluation, its population logits scored here. */
export function auditScorable(
  prepared: PreparedAudit, scorable: Scorable, scored: { forget: { logits: Float32Array }; test: { logits: Float32Array } }, options: { maxLength: number; batchSize: number },
): AuditMetrics {
  const population = scorable.score(prepared.rows.population, options).logits;
  return auditModel({ forget: scored.forget.logits, test: scored.test.logits, population }, prepared.references, prepared.attacks);
}
