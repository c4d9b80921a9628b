// `deepcut verify MODEL_DIR`: recomputes every hash a model folder's ledger and lineage record,
// checks the hash chain and the lineage, and says what that proves and what it does not.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { idSetHash } from '../data/hash';
import { fileHashes, manifestHash, modelFiles, sha256File, hashModel } from './hash';
import { resolveRecorded } from './info';
import { LEDGER_FILE, lineHash, lineProblem, readLedgerLines } from './ledger';
import { LINEAGE_FILE, forgottenSummary, type Lineage } from './lineage';
import { RECORD_FILES } from './record';

export interface VerifyCheck {
  name: string;
  /** true: holds; false: fails (tampering or inconsistency); null: cannot be checked here. */
  ok: boolean | null;
  detail: string;
}

export interface VerifyReport {
  dir: string;
  /** No check failed and the ledger was there to check. */
  ok: boolean;
  checks: VerifyCheck[];
  /** What the checks that passed establish. */
  proves: string[];
  /** What no check here can establish. */
  does_not_prove: string[];
  /** SHA-256 of the ledger's last line: keep it elsewhere to detect a wholesale rewrite later. */
  head: string | null;
  generation: number | null;
  manifest_hash: string | null;
}

type Entry = Record<string, unknown> & { seq?: number; type?: string; model?: { manifest_hash?: string; files?: Record<string, string> } };

const short = (h: unknown): string => (typeof h === 'string' ? `${h.slice(0, 12)}…` : String(h));

export const DOES_NOT_PROVE = [
  'that the training or unlearning actually ran as recorded: verify re-checks hashes, it does not re-run anything (retrain and compare with deepcut eval for that)',
  'that the model has forgotten anything: forgetting is measured, empirically, by deepcut eval against a retrained reference (its metrics are in the ledger when eval ran with --ledger)',
  'that the ledger was not rewritten as a whole: anyone can recompute every hash; keep the head hash printed below somewhere else (a ticket, a log) and compare later',
  'that the dataset now on disk is the one recorded: the ledger holds its hash (data_hash), not the data; deepcut unlearn warns when they differ',
  'when the runs happened: times and provenance are what the machine said',
];

export function verifyFolder(dirIn: string): VerifyReport {
  const dir = path.resolve(dirIn);
  const checks: VerifyCheck[] = [];
  const add = (name: string, ok: boolean | null, detail: string) => checks.push({ name, ok, detail });
  let manifest: string | null = null;
  try {
    manifest = hashModel(dir).manifest_hash;
  } catch (err) {
    add('model files', false, err instanceof Error ? err.message : String(err));
  }
  const lines = readLedgerLines(dir);
  let lineage: Lineage | undefined;
  const lineageFile = path.join(dir, LINEAGE_FILE);
  if (fs.existsSync(lineageFile)) {
    try {
      lineage = JSON.parse(fs.readFileSync(lineageFile, 'utf8')) as Lineage;
    } catch {
      add(LINEAGE_FILE, false, `${LINEAGE_FILE} is not valid JSON`);
    }
  }
  if (lines === undefined) {
    add(LEDGER_FILE, null, `no ${LEDGER_FILE}: this folder was written before deepcut kept ledgers (or by another tool), so nothing about its history can be verified`);
    return {
      dir, ok: false, checks,
      proves: manifest ? [`the model files hash to manifest ${manifest} now (nothing to compare it with)`] : [],
      does_not_prove: [
        'which data, base encoder or recipe produced these weights, or which deletions were applied: there is no ledger to check them against',
        ...DOES_NOT_PROVE,
      ],
      head: null, generation: lineage?.generation ?? null, manifest_hash: manifest,
    };
  }

  // 1. The chain: each line sealed and canonical, seq in order, prev = SHA-256 of the line before.
  const entries: Entry[] = [];
  let chainOk = true;
  lines.forEach((line, i) => {
    const problem = lineProblem(line);
    if (problem !== undefined) {
      chainOk = false;
      add('ledger chain', false, `${LEDGER_FILE} line ${i + 1} ${problem}`);
      entries.push({});
      return;
    }
    const e = JSON.parse(line) as Entry;
    entries.push(e);
    if (e.seq !== i) {
      chainOk = false;
      add('ledger chain', false, `${LEDGER_FILE} line ${i + 1}: seq is ${String(e.seq)}, expected ${i} (entries removed or reordered)`);
    }
    const expected = i === 0 ? null : lineHash(lines[i - 1]!);
    if (e.prev !== expected) {
      chainOk = false;
      add('ledger chain', false, `${LEDGER_FILE} line ${i + 1}: prev ${short(e.prev)} is not the SHA-256 of line ${i} (${short(expected)}): line ${i} was changed, or lines removed or reordered`);
    }
  });
  if (lines.length === 0) {
    chainOk = false;
    add('ledger chain', false, `${LEDGER_FILE} is empty`);
  }
  if (chainOk) add('ledger chain', true, `${lines.length} entries, each sealed and chained to the one before`);

  // 2. The head entry describes this folder: its model files and records, byte for byte.
  const modelEntries = entries.filter((e) => e.type === 'finetune' || e.type === 'unlearn' || e.type === 'import');
  const head = modelEntries[modelEntries.length - 1];
  const headIsOurs = head !== undefined && head.type !== 'import';
  if (!head || !head.model?.files) {
    add('model files', false, `${LEDGER_FILE} has no entry describing a model`);
  } else if (!headIsOurs) {
    add('model files', false, `${LEDGER_FILE}'s last model entry is an import of the input model: no entry describes the run that wrote this folder`);
  } else {
    const recorded = head.model.files;
    const bad: string[] = [];
    for (const [file, sha] of Object.entries(recorded)) {
      const full = path.join(dir, file);
      if (!fs.existsSync(full)) bad.push(`${file} is missing`);
      else if (sha256File(full) !== sha) bad.push(`${file} changed (sha256 ${short(sha256File(full))}, recorded ${short(sha)})`);
    }
    for (const file of modelFiles(dir)) if (!(file in recorded)) bad.push(`${file} is not in the ledger (added after the run)`);
    if (manifestHash(recorded) !== head.model.manifest_hash) bad.push(`the entry's manifest_hash does not match its own file list`);
    if (bad.length > 0) add('model files', false, bad.join('; '));
    else add('model files', true, `${Object.keys(recorded).length} files match entry ${String(head.seq)} (manifest ${short(head.model.manifest_hash)})`);

    const records = (head.records ?? {}) as Record<string, string>;
    const badRecords: string[] = [];
    for (const [file, sha] of Object.entries(records)) {
      const full = path.join(dir, file);
      if (!fs.existsSync(full)) badRecords.push(`${file} is missing`);
      else if (sha256File(full) !== sha) badRecords.push(`${file} changed since the run (sha256 ${short(sha256File(full))}, recorded ${short(sha)})`);
    }
    for (const file of RECORD_FILES) if (fs.existsSync(path.join(dir, file)) && !(file in records)) badRecords.push(`${file} is not in the ledger (added after the run)`);
    if (badRecords.length > 0) add('records', false, badRecords.join('; '));
    else add('records', true, `${Object.keys(records).join(', ')} match entry ${String(head.seq)}`);
  }

  // 3. Model chain: each unlearning run started from the model the entry before it produced.
  let chainOfModels = true;
  for (let k = 1; k < modelEntries.length; k++) {
    const e = modelEntries[k]!;
    if (e.type !== 'unlearn') continue;
    const input = (e.input_model as { manifest_hash?: string } | undefined)?.manifest_hash;
    const before = modelEntries[k - 1]!.model?.manifest_hash;
    if (input !== before) {
      chainOfModels = false;
      add('model lineage', false, `entry ${String(e.seq)} (unlearn) started from model ${short(input)}, but entry ${String(modelEntries[k - 1]!.seq)} produced ${short(before)}`);
    }
  }
  if (modelEntries.length > 0 && modelEntries[0]!.type === 'unlearn') {
    chainOfModels = false;
    add('model lineage', false, `the ledger starts with an unlearning run: the entry of the model it started from is missing`);
  }
  if (chainOfModels) add('model lineage', true, `each of ${modelEntries.filter((e) => e.type === 'unlearn').length} unlearning run(s) started from the model the entry before produced`);

  // 4. lineage.json agrees with the ledger: the deletions, their ids, the union.
  const unlearnEntries = entries.filter((e) => e.type === 'unlearn');
  const imported = entries.find((e) => e.type === 'import');
  if (!lineage) {
    add(LINEAGE_FILE, false, `${LINEAGE_FILE} is missing`);
  } else {
    const bad: string[] = [];
    const offset = typeof imported?.lineage_generation === 'number' ? imported.lineage_generation : 0;
    if (lineage.generation !== offset + unlearnEntries.length) bad.push(`generation ${lineage.generation}, but the ledger holds ${unlearnEntries.length} deletion(s)${offset ? ` after ${offset} imported` : ''}`);
    const recent = lineage.deletions.slice(lineage.deletions.length - unlearnEntries.length);
    unlearnEntries.forEach((e, i) => {
      const d = recent[i];
      const r = e.request as { spec?: string; hash?: string; count?: number } | undefined;
      if (!d || !r || d.hash !== r.hash || d.count !== r.count || d.spec !== r.spec) bad.push(`deletion ${offset + i + 1} differs from ledger entry ${String(e.seq)}`);
    });
    for (const d of lineage.deletions) {
      if (Array.isArray(d.ids) && (idSetHash(d.ids) !== d.hash || d.ids.length !== d.count)) bad.push(`deletion ${d.generation} (${d.spec}): its ids do not hash to its recorded hash`);
    }
    const ex = lineage.excluded_at_training;
    if (ex && (idSetHash(ex.ids) !== ex.hash || ex.ids.length !== ex.count)) bad.push('excluded_at_training: its ids do not hash to its recorded hash');
    const union = forgottenSummary(lineage);
    if (union.hash !== lineage.forgotten?.hash || union.count !== lineage.forgotten?.count) bad.push('forgotten (the union) does not match the deletions listed');
    const headForgotten = (head?.forgotten as { hash?: string } | undefined)?.hash;
    if (headIsOurs && headForgotten !== undefined && headForgotten !== union.hash) bad.push(`the ledger's head says ${short(headForgotten)} is forgotten, the lineage ${short(union.hash)}`);
    if (bad.length > 0) add(LINEAGE_FILE, false, bad.join('; '));
    else add(LINEAGE_FILE, true, `generation ${lineage.generation}: ${lineage.deletions.length} deletion(s)${ex ? ` + ${ex.count} records excluded at training` : ''}, ${union.count} records forgotten in all (hash ${short(union.hash)}); each id set matches its hash`);

    // 5. Records agree with the ledger's head entry.
    if (head?.type === 'unlearn') {
      const bad2: string[] = [];
      const u = readJsonSafe(path.join(dir, 'unlearn.json'));
      const req = head.request as { hash?: string } | undefined;
      if (!u) bad2.push('unlearn.json is missing or unreadable');
      else {
        if ((u.forget as { hash?: string } | undefined)?.hash !== req?.hash) bad2.push('unlearn.json names another forget set');
        if ((u.retain as { hash?: string } | undefined)?.hash !== (head.retain as { hash?: string } | undefined)?.hash) bad2.push('unlearn.json names another retain set');
        if (u.output_model_hash !== head.model?.manifest_hash) bad2.push('unlearn.json names another output model');
        if (u.method !== head.method) bad2.push('unlearn.json names another method');
      }
      const f = readJsonSafe(path.join(dir, 'forget.json'));
      if (!f || !Array.isArray(f.ids) || idSetHash(f.ids as string[]) !== req?.hash) bad2.push('forget.json\'s ids do not hash to the request\'s id-set hash');
      if (bad2.length > 0) add('unlearn record', false, bad2.join('; '));
      else add('unlearn record', true, 'unlearn.json and forget.json agree with the ledger (request, retain set, method, output model)');
    }
    // 6. Inputs still where the records say: the parent's ledger is a prefix of ours; the base encoder's hash.
    const parent = lineage.parent;
    if (parent && headIsOurs && head?.type === 'unlearn') {
      const parentDir = resolveRecorded(dir, parent.folder);
      const parentLines = fs.existsSync(parentDir) ? readLedgerLines(parentDir) : undefined;
      if (!fs.existsSync(parentDir)) add('input model', null, `the input model ${parent.folder} is not there (moved or deleted): only the hashes recorded for it can be checked`);
      else if (parentLines === undefined) add('input model', null, `the input model ${parent.folder} has no ledger (from before ledgers)`);
      else if (!isPrefixUpTo(parentLines, lines, typeof head.seq === 'number' ? head.seq : lines.length - 1)) add('input model', false, `${parent.folder}/${LEDGER_FILE} is not the start of this ledger: the input's history changed after this run`);
      else {
        let now: string | undefined;
        try {
          now = hashModel(parentDir).manifest_hash;
        } catch {
          now = undefined;
        }
        add('input model', now === parent.model_hash ? true : false, now === parent.model_hash
          ? `${parent.folder}: its ledger is the start of this one and its files still hash to ${short(now)}`
          : `${parent.folder}: its model files changed after this run (now ${short(now)}, recorded ${short(parent.model_hash)})`);
      }
    }
    const r = lineage.recipe ?? {};
    if (r.base_model !== undefined && r.base_model_hash !== undefined) {
      const baseDir = resolveRecorded(dir, r.base_model);
      if (!fs.existsSync(baseDir)) add('base encoder', null, `${r.base_model} is not there: its recorded hash ${short(r.base_model_hash)} cannot be compared`);
      else {
        let now: string | undefined;
        try {
          now = manifestHash(fileHashes(baseDir, modelFiles(baseDir)));
        } catch {
          now = undefined;
        }
        add('base encoder', now === r.base_model_hash, now === r.base_model_hash ? `${r.base_model} hashes to the recorded ${short(now)}` : `${r.base_model} changed since training (now ${short(now)}, recorded ${short(r.base_model_hash)})`);
      }
    }
  }

  const failed = checks.some((c) => c.ok === false);
  const proves = failed ? [] : [
    `the model files in this folder are, byte for byte, the ones its last run wrote (manifest ${manifest})`,
    'its records (train.json / unlearn.json / forget.json / lineage.json) are the ones written with it',
    'the ledger is an unbroken chain: no entry was changed, removed or reordered after the next one was written',
    `the recorded history: ${unlearnEntries.length} deletion request(s) applied in order, each starting from the previous model; every request's ids match its hash`,
    'each unlearning run\'s recorded retain set excluded every record forgotten up to then (retain = train minus the union)',
  ];
  return {
    dir, ok: !failed, checks, proves, does_not_prove: DOES_NOT_PROVE,
    head: lines.length > 0 ? lineHash(lines[lines.length - 1]!) : null, generation: lineage?.generation ?? null, manifest_hash: manifest,
  };
}

/**
 * Whether the parent's ledger starts with our first `k` lines (everything before the entry of the
 * run that made this folder); lines the parent gained since may only be verification entries.
 */
function isPrefixUpTo(parentLines: readonly string[], lines: readonly string[], k: number): boolean {
  if (parentLines.length < k) return false;
  for (let i = 0; i < k; i++) if (parentLines[i] !== lines[i]) return false;
  return parentLines.slice(k).every((l) => {
    try {
      return (JSON.parse(l) as { type?: string }).type === 'verification';
    } catch {
      return false;
    }
  });
}

function readJsonSafe(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function formatVerifyReport(report: VerifyReport): string {
  const mark = (ok: boolean | null) => (ok === true ? 'ok  ' : ok === false ? 'FAIL' : '??  ');
  const lines = [`deepcut verify ${report.dir}`, ''];
  for (const c of report.checks) lines.push(`  ${mark(c.ok)} ${c.name}: ${c.detail}`);
  lines.push('', report.ok ? 'VERIFIED' : report.head === null ? 'NOT VERIFIABLE (no ledger)' : 'FAILED: see the FAIL lines above');
  if (report.proves.length > 0) lines.push('', 'This proves:', ...report.proves.map((p) => `  - ${p}`));
  lines.push('', 'This does not prove:', ...report.does_not_prove.map((p) => `  - ${p}`));
  if (report.head) lines.push('', `ledger head: ${report.head} (generation ${String(report.generation)})`);
  return `${lines.join('\n')}\n`;
}
