// ledger.jsonl: a model folder's deletion record, one JSON object per line, each line holding the
// SHA-256 of the line before it ("prev"), so editing, removing or reordering any entry breaks the
// chain at a named line. A folder's ledger is its parent's ledger plus the entry of the run that
// made it (docs/provenance.md).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { sha256Text } from './hash';
import type { Provenance } from './info';

export const LEDGER_FILE = 'ledger.jsonl';
export const LEDGER_FORMAT = 'deepcut-ledger/1';

export type LedgerEntryType = 'finetune' | 'import' | 'unlearn' | 'verification';

/** The fields every entry has; the rest depends on the type (docs/provenance.md). */
export interface LedgerEntry {
  format: typeof LEDGER_FORMAT;
  seq: number;
  /** SHA-256 of the previous line's text (without its newline); null for the first entry. */
  prev: string | null;
  type: LedgerEntryType;
  time: string;
  [key: string]: unknown;
  provenance?: Provenance;
}

/** The ledger's lines (without newlines; an empty file gives []), or undefined when there is none. */
export function readLedgerLines(dir: string): string[] | undefined {
  const file = path.join(dir, LEDGER_FILE);
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function lineHash(line: string): string {
  return sha256Text(line);
}

/** The text of a new entry chained to the last of `previous` (the ledger's canonical line: JSON.stringify). */
export function ledgerLine(previous: readonly string[], entry: Omit<LedgerEntry, 'format' | 'seq' | 'prev' | 'time'> & { time?: string }): string {
  const full = {
    format: LEDGER_FORMAT, seq: previous.length, prev: previous.length > 0 ? lineHash(previous[previous.length - 1]!) : null,
    ...entry, time: entry.time ?? new Date().toISOString(),
  };
  // The seal (last key): SHA-256 of the entry's text without it, so a change to the last entry,
  // which no later "prev" covers, is detected too.
  const body = JSON.stringify(full);
  return JSON.stringify({ ...full, seal: sha256Text(body) });
}

/** Why a ledger line is not a well-formed, sealed entry, or undefined when it is. */
export function lineProblem(line: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return 'is not valid JSON';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'is not a JSON object';
  if (JSON.stringify(parsed) !== line) return 'is not in canonical form (edited by hand?)';
  const { seal, ...body } = parsed as Record<string, unknown>;
  if (typeof seal !== 'string') return 'has no seal';
  if (sha256Text(JSON.stringify(body)) !== seal) return 'does not match its seal (its content was changed)';
  return undefined;
}

export function writeLedger(dir: string, lines: readonly string[]): void {
  writeFileAtomic(path.join(dir, LEDGER_FILE), lines.map((l) => `${l}\n`).join(''));
}

/**
 * Writes `dir`/ledger.jsonl as `previous` lines plus a new entry chained to the last of them.
 * Returns the new line's hash (the ledger's head).
 */
export function appendLedger(dir: string, previous: readonly string[], entry: Omit<LedgerEntry, 'format' | 'seq' | 'prev' | 'time'> & { time?: string }): string {
  const line = ledgerLine(previous, entry);
  writeLedger(dir, [...previous, line]);
  return lineHash(line);
}
