// Writing a model folder's lineage.json and its ledger entry once the model and its records are
// on disk (the ledger last: it hashes everything else).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileHashes, hashModel, type ModelHash } from './hash';
import { provenance } from './info';
import { appendLedger, ledgerLine, readLedgerLines } from './ledger';
import { LINEAGE_FILE, type Lineage } from './lineage';

/** The JSON records a ledger entry hashes (those present). */
export const RECORD_FILES = ['train.json', 'unlearn.json', 'forget.json', LINEAGE_FILE] as const;

export function recordHashes(dir: string): Record<string, string> {
  return fileHashes(dir, RECORD_FILES.filter((f) => fs.existsSync(path.join(dir, f))));
}

/** The ledger entry of a fine-tune (or retrain from scratch): the folder's first. Returns the head hash. */
export function ledgerTraining(dir: string, lineage: Lineage, model: ModelHash = hashModel(dir)): string {
  const r = lineage.recipe;
  return appendLedger(dir, [], {
    type: 'finetune', kind: lineage.kind,
    base_model: { path: r.base_model, hash: r.base_model_hash }, data: { name: r.dataset, data_hash: r.data_hash, split_seed: r.split_seed },
    excluded_at_training: lineage.excluded_at_training ? { spec: lineage.excluded_at_training.spec, count: lineage.excluded_at_training.count, hash: lineage.excluded_at_training.hash } : null,
    forgotten: lineage.forgotten, model, records: recordHashes(dir), provenance: provenance(),
  });
}

/**
 * The ledger a new folder starts from: its input's lines, or (an input from before ledgers) one
 * 'import' entry naming the input model's hash and what is not known about its history.
 */
export function inheritedLedger(inputDir: string, inputHash: ModelHash, lineage: Lineage): { lines: string[]; notes: string[] } {
  const lines = readLedgerLines(inputDir);
  if (lines !== undefined) return { lines, notes: [] };
  const notes = [`the input model has no ledger.jsonl (written before deepcut kept ledgers): its history before this ledger's first entry cannot be verified`, ...(lineage.notes ?? [])];
  const line = ledgerLine([], {
    type: 'import', model: inputHash, lineage_generation: lineage.generation, forgotten: lineage.forgotten, notes,
    folder_absolute: path.resolve(inputDir), provenance: provenance(),
  });
  return { lines: [line], notes };
}
